// The admin key lives in this tab's sessionStorage only: never a cookie, so no other origin's request
// carries it, and it is gone when the tab closes. The key is never rendered back into the page.
const STORAGE_NAME = 'sluice.console.key';
let memoryKey: string | undefined;

export function signedInKey(): string | undefined {
  if (memoryKey !== undefined) return memoryKey;
  try {
    memoryKey = sessionStorage.getItem(STORAGE_NAME) ?? undefined;
  } catch {
    // Storage may be disabled; the key then lives in memory for this page only.
  }
  return memoryKey;
}

export function signIn(key: string): void {
  memoryKey = key;
  try {
    sessionStorage.setItem(STORAGE_NAME, key);
  } catch {
    // Memory only.
  }
}

export function signOut(): void {
  memoryKey = undefined;
  try {
    sessionStorage.removeItem(STORAGE_NAME);
  } catch {
    // Nothing stored.
  }
}
