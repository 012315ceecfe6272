declare module 'asl-validator' {
  interface AslValidationResult {
    isValid: boolean;
    errors: { message?: string; 'Error code'?: string; Location?: string }[];
  }
  export default function aslValidator(
    definition: unknown,
    options?: { checkPaths?: boolean; checkArn?: boolean },
  ): AslValidationResult;
}
