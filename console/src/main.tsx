import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { portal } from './api';
import { App, type Session } from './App';
import { loadConfig, localToken, localUser, oidcToken, switchLocalUser } from './auth';
import './styles.css';

const root = createRoot(document.getElementById('root') as HTMLElement);

async function start(): Promise<void> {
  const config = await loadConfig();
  if (config.mode === 'local') {
    const health = (await (await fetch('./healthz')).json()) as { timeScale?: number };
    const render = (login: string) => {
      const session: Session = {
        login,
        portal: portal(config.apiUrl, () => localToken(login)),
        timeScale: health.timeScale ?? 1,
        users: config.users,
        switchUser: (next) => {
          switchLocalUser(next);
          render(next);
        },
      };
      root.render(
        <StrictMode>
          <App key={login} session={session} />
        </StrictMode>,
      );
    };
    render(localUser(config));
    return;
  }
  const { token, login } = await oidcToken(config);
  root.render(
    <StrictMode>
      <App session={{ login, portal: portal(config.apiUrl, () => Promise.resolve(token)), timeScale: 1 }} />
    </StrictMode>,
  );
}

start().catch((error: unknown) => {
  root.render(<p className="error">Flightplan could not start: {(error as Error).message}</p>);
});
