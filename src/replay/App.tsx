// The interactive replay: the reducer (state.ts) driven by keys and, while playing, by a timer;
// the frame drawn by ReplayScreen; `q`, Esc or Ctrl-C ends the app (ink's exit).
import { useApp, useInput, useStdout } from 'ink';
import { useEffect, useMemo, useReducer, useState } from 'react';
import { ReplayScreen } from './components.js';
import type { ReplayModel } from './model.js';
import type { ScreenSize } from './screen.js';
import { initialState, replayReducer } from './state.js';

export interface ReplayAppProps {
  model: ReplayModel;
  /** Where the cursor starts (µs; default: the start of the run). */
  atUs?: number;
  /** A fixed size (tests); default: the terminal's, one row short so ink never scrolls. */
  size?: ScreenSize;
  color?: boolean;
  /** Wall-clock milliseconds between playback ticks. */
  tickMs?: number;
}

function terminalSize(stdout: NodeJS.WriteStream): ScreenSize {
  return { cols: stdout.columns || 80, rows: Math.max(10, (stdout.rows || 24) - 1) };
}

export function ReplayApp({ model, atUs, size, color = true, tickMs = 100 }: ReplayAppProps): React.JSX.Element {
  const reducer = useMemo(() => replayReducer(model), [model]);
  const [state, dispatch] = useReducer(reducer, undefined, () => initialState(model, atUs));
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [termSize, setTermSize] = useState<ScreenSize>(() => size ?? terminalSize(stdout));

  useInput((input, key) => dispatch({ type: 'key', input, key }));

  useEffect(() => {
    if (state.quit) exit();
  }, [state.quit, exit]);

  useEffect(() => {
    if (!state.playing) return;
    let last = Date.now();
    const id = setInterval(() => {
      const now = Date.now();
      dispatch({ type: 'tick', wallMs: now - last });
      last = now;
    }, tickMs);
    return () => clearInterval(id);
  }, [state.playing, tickMs]);

  useEffect(() => {
    if (size) return;
    const onResize = (): void => setTermSize(terminalSize(stdout));
    stdout.on('resize', onResize);
    return () => void stdout.off('resize', onResize);
  }, [size, stdout]);

  return <ReplayScreen model={model} state={state} size={size ?? termSize} color={color} />;
}
