import { type ServiceProcess, startService } from '@sluice/testing';

/** One accounting process on the run's backends, on free ports. */
export function startAccountingProcess(env: Record<string, string>): Promise<ServiceProcess> {
  return startService('accounting', { ...env, SLUICE_ACCOUNTING_PORT: '0', SLUICE_ACCOUNTING_HTTP_PORT: '0' });
}

/** Sends a signal and waits for the process to exit. */
export async function stopProcess(process: ServiceProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (process.child.exitCode === null && process.child.signalCode === null) process.child.kill(signal);
  await process.exited;
}
