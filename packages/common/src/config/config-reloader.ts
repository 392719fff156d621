import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from '../logger.js';
import type { Settings } from '../settings.js';
import type { GatewayConfig } from './config-schema.js';
import { recordConfigReload } from './config-reload-metrics.js';
import { ConfigError, type LoadedConfig, loadConfigFile } from './load-config.js';
import { keepRestartOnlySettings } from './restart-only-settings.js';

/** What a service does with a new config: build everything first, then swap; throwing refuses it. */
export type ApplyConfig = (config: GatewayConfig) => Promise<void>;

export type ReloadReason = 'file change' | 'SIGHUP' | 'poll';

export interface ConfigReloaderOptions {
  settings: Settings;
  logger: Logger;
  /** The config the services started with. */
  initial: LoadedConfig;
  apply: ApplyConfig;
}

export interface ConfigReloader {
  /** Re-reads now; `force` applies even an unchanged file (SIGHUP: policy re-syncs its client keys). */
  reload(reason: ReloadReason, force?: boolean): Promise<'applied' | 'refused' | 'unchanged'>;
  close(): void;
}

/**
 * Live reload. A Kubernetes ConfigMap or Secret volume is updated by writing a new timestamped directory
 * and swapping the `..data` symlink, so the *directory* is watched, not the file (a watch on the file
 * would follow the old inode). File events are debounced into one re-read, which is compared by content
 * hash: only a real change is validated and applied. A bad config is refused with one log line and the
 * running one stays; restart-only settings keep their running value and are logged as "needs restart".
 */
export function startConfigReloader(options: ConfigReloaderOptions): ConfigReloader {
  const { settings, logger } = options;
  const path = settings.configPath!;
  const { debounceMs, pollIntervalMs, watch: watching } = settings.configReload;
  let running = options.initial.config;
  let runningHash = options.initial.hash;
  /** The last refusal's message: the same bad file polled again is not logged or counted again. */
  let lastRefusal: string | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;
  const watchers = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;

  const onEvent = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void reload('file change'), debounceMs);
    timer.unref();
  };

  /** One watch per directory that holds the config file or a file an os.file/ reference names. */
  const watchDirectories = (files: readonly string[]) => {
    if (!watching || closed) return;
    const wanted = new Set([dirname(resolve(path)), ...files.map((file) => dirname(file))]);
    for (const [directory, watcher] of watchers) {
      if (wanted.has(directory)) continue;
      watcher.close();
      watchers.delete(directory);
    }
    for (const directory of wanted) {
      if (watchers.has(directory)) continue;
      try {
        const watcher = watch(directory, { persistent: false }, onEvent);
        watcher.on('error', (error) => logger.warn({ err: error, directory }, 'cannot watch a config directory; changes are still found by polling and SIGHUP'));
        watchers.set(directory, watcher);
      } catch (error) {
        logger.warn({ err: error, directory }, 'cannot watch a config directory; changes are still found by polling and SIGHUP');
      }
    }
  };

  const refuse = (reason: ReloadReason, message: string): 'refused' | 'unchanged' => {
    if (message === lastRefusal && reason !== 'SIGHUP') return 'unchanged';
    lastRefusal = message;
    recordConfigReload('refused');
    logger.error({ reason, file: basename(path), error: message }, 'config reload refused; the running config stays');
    return 'refused';
  };

  const attempt = async (reason: ReloadReason, force: boolean): Promise<'applied' | 'refused' | 'unchanged'> => {
    if (closed) return 'unchanged';
    let loaded: LoadedConfig;
    try {
      loaded = loadConfigFile(path, settings.env);
    } catch (error) {
      return refuse(reason, error instanceof Error ? error.message : String(error));
    }
    watchDirectories(loaded.files);
    if (loaded.hash === runningHash && !force) {
      lastRefusal = undefined;
      return 'unchanged';
    }
    const { config, needsRestart } = keepRestartOnlySettings(running, loaded.config);
    try {
      await options.apply(config);
    } catch (error) {
      // ConfigError: the services' own checks (an unsupported provider, an alias to nothing, ...).
      return refuse(reason, error instanceof ConfigError || error instanceof Error ? error.message : String(error));
    }
    running = config;
    runningHash = loaded.hash;
    lastRefusal = undefined;
    recordConfigReload('applied');
    if (needsRestart.length > 0) {
      logger.warn({ settings: needsRestart }, `config reload: ${needsRestart.join(', ')} changed and needs restart; the running value stays until then`);
    }
    for (const warning of loaded.warnings) logger.warn(warning);
    if (loaded.missingEnv.length > 0) logger.warn({ variables: loaded.missingEnv }, 'config refers to environment variables that are not set');
    logger.info({ reason, models: config.model_list.length }, 'config reloaded');
    return 'applied';
  };

  // One reload at a time, in order: a change that lands during a reload is read right after it.
  const reload = (reason: ReloadReason, force = false) => {
    const next = queue.then(() => attempt(reason, force));
    queue = next.catch(() => undefined);
    return next;
  };

  watchDirectories(options.initial.files);
  const poll = watching && pollIntervalMs > 0 ? setInterval(() => void reload('poll'), pollIntervalMs) : undefined;
  poll?.unref();
  return {
    reload,
    close() {
      closed = true;
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
