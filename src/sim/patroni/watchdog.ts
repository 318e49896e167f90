// The watchdog: a device on the host (Linux softdog: a kernel timer that hard-resets the machine
// unless /dev/watchdog is written to in time) and Patroni's facade over it
// (`patroni/watchdog/base.py Watchdog`, `patroni/watchdog/linux.py LinuxWatchdogDevice`).
//
// The device is kernel state, not part of Patroni: SIGSTOP of Patroni does not stop it, and when
// Patroni dies the kernel closes /dev/watchdog *without* the magic 'V', so softdog keeps counting
// ("watchdog did not stop!") and resets the host — exactly the protection the watchdog exists for.
import { Process } from '../host/process.js';
import type { Host } from '../host/host.js';
import type { Timer } from '../kernel/sim.js';
import { sToUs } from '../kernel/time.js';

/** `patroni/exceptions.py WatchdogError` */
export class WatchdogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WatchdogError';
  }
}

/** softdog's default `soft_margin` (seconds) when /dev/watchdog is opened. */
export const SOFTDOG_DEFAULT_TIMEOUT_S = 60;

/**
 * /dev/watchdog on one host (softdog). A kernel "process" on the host: it runs as long as the host
 * is powered (restarted at every boot), and is never the target of process faults.
 */
export class WatchdogDevice extends Process {
  private timer: Timer | null = null;
  private timeoutS = SOFTDOG_DEFAULT_TIMEOUT_S;
  private openBy: Process | null = null;

  constructor(
    host: Host,
    /** Whether the device exists and can be opened (module loaded, permissions). */
    readonly usable: boolean,
    /** The node name used in trace records. */
    readonly node: string,
    /**
     * false: Patroni's acceptance-test driver (`watchdog.driver: testing`, a named pipe) that only
     * notes that it was triggered; true: softdog, which hard-resets the machine.
     */
    readonly resetsHost = true,
  ) {
    super(host, 'watchdog');
    host.onBoot(() => this.start('kernel booted'));
  }

  protected onStart(): void {
    this.timer = null;
    this.openBy = null;
    this.timeoutS = SOFTDOG_DEFAULT_TIMEOUT_S;
  }

  protected override onExit(): void {
    this.timer = null;
    this.openBy = null;
  }

  get armed(): boolean {
    return this.timer !== null;
  }

  /** open("/dev/watchdog"): arms the timer with the current timeout. */
  open(by: Process): void {
    if (!this.usable || !this.alive) throw new WatchdogError('Could not open /dev/watchdog: No such file or directory');
    if (this.openBy !== null && this.openBy !== by) throw new WatchdogError('Could not open /dev/watchdog: Device or resource busy');
    this.openBy = by;
    // the kernel closes the file when the opener dies; without the magic close the timer keeps running
    by.atExit(() => {
      if (this.openBy === by) this.openBy = null;
    });
    this.ping();
  }

  /** write("V") + close(): the magic close disarms softdog (nowayout=0). */
  close(by: Process): void {
    if (this.openBy !== by) return;
    this.openBy = null;
    this.timer?.cancel();
    this.timer = null;
  }

  /** write("1") */
  keepalive(by: Process): void {
    if (this.openBy !== by) throw new WatchdogError('Watchdog device is closed');
    this.ping();
  }

  /** WDIOC_SETTIMEOUT (also pings, as softdog does). */
  ioctlSetTimeout(by: Process, timeoutS: number): void {
    if (this.openBy !== by) throw new WatchdogError('Watchdog device is closed');
    this.timeoutS = timeoutS;
    this.ping();
  }

  getTimeout(): number {
    return this.timeoutS;
  }

  private ping(): void {
    this.timer?.cancel();
    this.timer = this.after(sToUs(this.timeoutS), () => this.fire());
  }

  private fire(): void {
    this.timer = null;
    this.sim.trace.emit('patroni.watchdog', { node: this.node, event: 'fired', timeoutMs: this.timeoutS * 1000 });
    if (this.resetsHost) this.host.reset(`watchdog on ${this.host.name} was not kicked for ${this.timeoutS}s`);
  }
}

export type WatchdogMode = 'off' | 'automatic' | 'required';

/** `patroni/watchdog/base.py parse_mode` */
export function parseWatchdogMode(mode: unknown): WatchdogMode {
  if (mode === false) return 'off';
  const m = String(mode ?? 'automatic').toLowerCase();
  if (m === 'require' || m === 'required') return 'required';
  if (m === 'auto' || m === 'automatic') return 'automatic';
  return 'off';
}

/** `patroni/watchdog/base.py WatchdogConfig` */
export class WatchdogConfig {
  constructor(
    readonly mode: WatchdogMode,
    readonly ttl: number,
    readonly loop_wait: number,
    readonly safety_margin: number,
  ) {}

  get timeout(): number {
    return this.safety_margin === -1 ? Math.floor(this.ttl / 2) : this.ttl - this.safety_margin;
  }

  get timing_slack(): number {
    return this.timeout - this.loop_wait;
  }

  equals(o: WatchdogConfig): boolean {
    return this.mode === o.mode && this.ttl === o.ttl && this.loop_wait === o.loop_wait && this.safety_margin === o.safety_margin;
  }
}

/**
 * `patroni/watchdog/base.py Watchdog`: the facade Patroni's HA loop calls. The implementation is
 * the host's device (LinuxWatchdogDevice) or none (NullWatchdog).
 */
export class Watchdog {
  config: WatchdogConfig;
  private activeConfig: WatchdogConfig;
  private active = false;
  /** true: LinuxWatchdogDevice opened and running; false: NullWatchdog or closed. */
  private deviceOpen = false;
  private useDevice: boolean;

  constructor(
    private readonly owner: Process,
    private readonly device: WatchdogDevice | null,
    config: WatchdogConfig,
    private readonly node: string,
  ) {
    this.config = config;
    this.activeConfig = config;
    this.useDevice = config.mode !== 'off' && device !== null;
  }

  private emit(event: 'activated' | 'keepalive' | 'disabled' | 'failed', timeoutS?: number): void {
    const rec: { node: string; event: typeof event; timeoutMs?: number } = { node: this.node, event };
    if (timeoutS !== undefined) rec.timeoutMs = timeoutS * 1000;
    this.owner.sim.trace.emit('patroni.watchdog', rec);
  }

  /** `Watchdog.reload_config` */
  reloadConfig(config: WatchdogConfig): void {
    this.config = config;
    if (config.mode === 'off') {
      if (this.active) this.disableImpl();
      this.activeConfig = config;
      this.useDevice = false;
    }
    // a running watchdog takes the new timeout at its next keepalive (so it matches a leader key update)
    if (!this.active) {
      if (config.mode !== 'off' && this.activeConfig.mode === 'off') this.useDevice = this.device !== null;
      this.activeConfig = config;
    }
  }

  /** `Watchdog.activate`: false if a safe watchdog could not be configured but is required. */
  activate(): boolean {
    this.active = true;
    return this.activateImpl();
  }

  private activateImpl(): boolean {
    this.activeConfig = this.config;
    if (this.config.timing_slack < 0) {
      // 'Watchdog not supported because leader TTL is less than 2x loop_wait'
      this.useDevice = false;
    }
    let actualTimeout: number | null = null;
    if (this.useDevice && this.device) {
      try {
        this.device.open(this.owner);
        this.deviceOpen = true;
        actualTimeout = this.applyConfiguredTimeout();
      } catch (e) {
        if (!(e instanceof WatchdogError)) throw e;
        this.deviceOpen = false;
        this.useDevice = false;
      }
    }
    if (!this.is_running || (actualTimeout !== null && actualTimeout > this.config.timeout)) {
      if (this.config.mode === 'required') {
        // "Configuration requires watchdog, but watchdog could not be configured."
        this.emit('failed');
        return false;
      }
    }
    if (this.is_running) this.emit('activated', actualTimeout ?? this.config.timeout);
    return true;
  }

  /** `Watchdog._set_timeout` */
  private applyConfiguredTimeout(): number | null {
    if (!this.device) return null;
    this.device.ioctlSetTimeout(this.owner, this.config.timeout);
    const actual = this.device.getTimeout();
    if (actual < this.config.loop_wait) {
      // 'loop_wait is too long for watchdog timeout': disable the unsafe watchdog
      this.device.close(this.owner);
      this.deviceOpen = false;
      this.useDevice = false;
      return null;
    }
    return actual;
  }

  /** `Watchdog.disable` */
  disable(): void {
    this.disableImpl();
    this.active = false;
  }

  private disableImpl(): void {
    if (this.deviceOpen && this.device) {
      this.device.close(this.owner);
      this.deviceOpen = false;
      this.emit('disabled');
    }
  }

  /** `Watchdog.keepalive` */
  keepalive(): void {
    try {
      if (this.active && this.deviceOpen && this.device) {
        this.device.keepalive(this.owner);
        this.emit('keepalive', this.device.getTimeout());
      }
      if (this.active && !this.config.equals(this.activeConfig)) {
        if (this.config.mode !== 'off' && this.activeConfig.mode === 'off') {
          this.useDevice = this.device !== null;
          this.activateImpl();
        }
        if (this.config.timeout !== this.activeConfig.timeout && this.deviceOpen && this.device) {
          this.device.ioctlSetTimeout(this.owner, this.config.timeout);
          this.emit('activated', this.device.getTimeout());
        }
        this.activeConfig = this.config;
      }
    } catch (e) {
      if (!(e instanceof WatchdogError)) throw e;
      // "Error while sending keepalive"
    }
  }

  /** `Watchdog.is_running` */
  get is_running(): boolean {
    return this.deviceOpen && this.device !== null && this.device.alive;
  }

  /** `Watchdog.is_healthy`: only meaningful in required mode. */
  get is_healthy(): boolean {
    if (this.config.mode !== 'required') return true;
    return this.config.timing_slack >= 0 && this.useDevice && this.device !== null && this.device.usable;
  }

  /** Reported in /patroni as `watchdog_failed` (mode required but not usable). */
  get failed(): boolean {
    return this.config.mode === 'required' && !this.is_healthy;
  }
}
