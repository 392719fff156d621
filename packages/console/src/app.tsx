import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from './api.js';
import { EntityPage } from './pages/entity-page.js';
import { keyConfig, organizationConfig, teamConfig, userConfig } from './pages/entity-configs.js';
import { ModelsPage } from './pages/models-page.js';
import { RequestsPage } from './pages/requests-page.js';
import { SpendPage } from './pages/spend-page.js';
import { signIn, signOut, signedInKey } from './session.js';

const PAGES = [
  { path: 'keys', label: 'Keys' },
  { path: 'teams', label: 'Teams' },
  { path: 'users', label: 'Users' },
  { path: 'organizations', label: 'Organisations' },
  { path: 'spend', label: 'Spend' },
  { path: 'requests', label: 'Requests' },
  { path: 'models', label: 'Models' },
] as const;
type PagePath = (typeof PAGES)[number]['path'];

// Hash routes (#/keys) keep every page at /ui/, the one HTML file the edge serves.
function currentPage(): PagePath {
  const path = location.hash.replace(/^#\/?/, '');
  return PAGES.find((page) => page.path === path)?.path ?? 'keys';
}

function SignIn(props: { onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      // Any admin route proves the key is the master key or a proxy_admin's key.
      await api.get('/key/list', { size: 1 }, key.trim());
      signIn(key.trim());
      setKey('');
      props.onSignedIn();
    } catch (failure) {
      const status = failure instanceof ApiError ? failure.status : 0;
      setError(status === 403 ? 'This key is valid but is not an admin key.' : status === 401 ? 'This key is not valid.' : (failure as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="sign-in">
      <form onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sluice console</h1>
        <p class="muted">Sign in with the master key or the key of a proxy admin. It is kept in this tab only and sent only to this gateway.</p>
        <label for="admin-key">
          <span>Admin key</span>
          <input id="admin-key" type="password" autoComplete="off" value={key} onInput={(event) => setKey((event.target as HTMLInputElement).value)} required />
        </label>
        {error ? <p class="error" role="alert">{error}</p> : null}
        <button type="submit" class="primary" disabled={busy || key.trim() === ''}>Sign in</button>
      </form>
    </main>
  );
}

export function App() {
  const [signedIn, setSignedIn] = useState(signedInKey() !== undefined);
  const [page, setPage] = useState<PagePath>(currentPage());
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => {
    const onHash = () => {
      setPage(currentPage());
      setMenuOpen(false);
    };
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    document.title = `${PAGES.find((entry) => entry.path === page)!.label} · Sluice`;
  }, [page]);
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  return (
    <div class="shell">
      <a class="skip" href="#content">Skip to content</a>
      <header class="top">
        <span class="brand">Sluice</span>
        <button type="button" class="menu-toggle" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen(!menuOpen)}>Menu</button>
        <nav id="nav" class={menuOpen ? 'open' : undefined} aria-label="Console">
          {PAGES.map((entry) => (
            <a href={`#/${entry.path}`} aria-current={entry.path === page ? 'page' : undefined}>{entry.label}</a>
          ))}
        </nav>
        <button
          type="button"
          class="sign-out"
          onClick={() => {
            signOut();
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </header>
      <main id="content" tabIndex={-1}>
        {page === 'keys' ? <EntityPage config={keyConfig} /> : null}
        {page === 'teams' ? <EntityPage config={teamConfig} /> : null}
        {page === 'users' ? <EntityPage config={userConfig} /> : null}
        {page === 'organizations' ? <EntityPage config={organizationConfig} /> : null}
        {page === 'spend' ? <SpendPage /> : null}
        {page === 'requests' ? <RequestsPage /> : null}
        {page === 'models' ? <ModelsPage /> : null}
      </main>
    </div>
  );
}
