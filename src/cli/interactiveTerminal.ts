// Imported first by the `haywire` binary, before ink loads. ink decides once, when it is imported,
// whether it runs "in CI" (the CI or CONTINUOUS_INTEGRATION variable is set): there it draws no
// frame until the app exits, which leaves `haywire replay` on a real terminal showing a blank
// screen. A replay on a terminal is interactive whatever the shell exports, so for that command
// on a TTY the variables are cleared for this process (nothing else in haywire reads them).
const [command] = process.argv.slice(2);
if (command === 'replay' && process.stdout.isTTY === true && process.stdin.isTTY === true) {
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
}
export {};
