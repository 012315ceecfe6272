import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations, type CfnResource, type StackProps } from 'aws-cdk-lib';
import { Distribution, HttpVersion, ResponseHeadersPolicy, ViewerProtocolPolicy } from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';

export interface ConsoleSiteProps {
  /** The built console (`npm run build:console`, which npm ci runs). */
  distDir: string;
  apiUrl: string;
  /** The Keycloak realm (the API's JWT issuer), e.g. https://sso.example.com/realms/platform. */
  keycloakIssuer: string;
  /** A public Keycloak client with the standard flow and PKCE (S256) required. */
  keycloakClientId: string;
}

/**
 * The web console on AWS: its static files in a private S3 bucket that only CloudFront reads
 * (origin access control), served over HTTPS with security headers, and a console-config.json
 * that tells the page to sign in with Keycloak (authorization code + PKCE) and where the API is.
 */
export class ConsoleSite extends Construct {
  readonly url: string;
  readonly files: Bucket;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);
    if (!existsSync(join(props.distDir, 'index.html'))) {
      throw new Error(`The console is not built (${props.distDir}/index.html is missing): run npm run build:console`);
    }
    const logs = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // CloudFront standard logging writes with ACLs.
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const site = new Bucket(this, 'Files', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 's3/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const distribution = new Distribution(this, 'Distribution', {
      comment: 'Flightplan console',
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(site),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: ResponseHeadersPolicy.SECURITY_HEADERS,
      },
    });
    new BucketDeployment(this, 'Deploy', {
      destinationBucket: site,
      sources: [
        Source.asset(props.distDir),
        Source.jsonData('console-config.json', {
          mode: 'oidc',
          apiUrl: props.apiUrl,
          issuer: props.keycloakIssuer,
          clientId: props.keycloakClientId,
        }),
      ],
      distribution,
      distributionPaths: ['/index.html', '/console-config.json'],
      memoryLimit: 256,
    });
    this.url = `https://${distribution.distributionDomainName}`;
    this.files = site;
  }
}

export interface ConsoleStackProps extends StackProps, ConsoleSiteProps {}

/** The console in a stack of its own, so the control plane's template holds only the control plane. */
export class ConsoleStack extends Stack {
  constructor(scope: Construct, id: string, props: ConsoleStackProps) {
    super(scope, id, props);
    const site = new ConsoleSite(this, 'Console', props);
    new CfnOutput(this, 'ConsoleUrl', {
      value: site.url,
      description: 'The web console; add it to the Keycloak client as a redirect URI and web origin',
    });
    const acknowledge = (findingId: string, reason: string) => {
      Validations.of(this).acknowledge({ id: findingId, reason });
    };
    acknowledge('AwsSolutions-S1', 'The access-log bucket itself: logging it to itself would loop.');
    acknowledge(
      'AwsSolutions-CFR1',
      'The console is for the whole company; Keycloak decides who signs in, not geography.',
    );
    acknowledge(
      'AwsSolutions-CFR2',
      'Static files only; every API call is authorized by the JWT authorizer. Attach the organization WAF if there is one.',
    );
    acknowledge(
      'AwsSolutions-CFR4',
      'The default CloudFront certificate serves *.cloudfront.net; a custom domain brings its own TLS 1.2+ policy.',
    );
    acknowledge('AwsSolutions-L1', "BucketDeployment's copy function is CDK's own, with the runtime CDK pins.");
    acknowledge(
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "BucketDeployment's copy function logs with the basic execution role.",
    );
    const copyGrant = "BucketDeployment's copy function: CDK's grant to read its asset and replace the console's files";
    for (const action of ['s3:Abort*', 's3:DeleteObject*', 's3:GetBucket*', 's3:GetObject*', 's3:List*'])
      acknowledge(`AwsSolutions-IAM5[Action::${action}]`, copyGrant);
    acknowledge(
      'AwsSolutions-IAM5[Resource::*]',
      `${copyGrant} (CloudFront invalidation has no resource-level permission)`,
    );
    acknowledge(
      `AwsSolutions-IAM5[Resource::<${this.getLogicalId(site.files.node.defaultChild as CfnResource)}.Arn>/*]`,
      copyGrant,
    );
    acknowledge(
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${this.account}-${this.region}/*]`,
      copyGrant,
    );
    // The console reads the API URL from the control plane's stack: a strong reference keeps it from being deleted under the console.
    acknowledge(
      'Annotation::@aws-cdk/core:crossStackReferencesDefaultStrong',
      'The console depends on the API URL; a strong reference is what it needs.',
    );
  }
}

export const CONSOLE_DIST = join(import.meta.dirname, '..', '..', 'console', 'dist');
