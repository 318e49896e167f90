// The replay's screen as ink components: each section of screen.ts drawn as lines of <Text>.
import { Box, Text } from 'ink';
import { useMemo } from 'react';
import type { ReplayModel } from './model.js';
import { buildScreen, type ScreenSize } from './screen.js';
import type { ReplayState } from './state.js';
import type { Line } from './styled.js';

interface LinesProps {
  lines: readonly Line[];
  color: boolean;
}

function LineView({ line, color }: { line: Line; color: boolean }): React.JSX.Element {
  return (
    <Text wrap="truncate">
      {line.map((r, i) =>
        color && r.style ? (
          <Text key={i} color={r.style.color} bold={r.style.bold} dimColor={r.style.dim} inverse={r.style.inverse}>
            {r.text}
          </Text>
        ) : (
          r.text
        ),
      )}
    </Text>
  );
}

/** A block of lines (one section of the screen). */
export function Lines({ lines, color }: LinesProps): React.JSX.Element | null {
  if (lines.length === 0) return null;
  return (
    <Box flexDirection="column">
      {lines.map((l, i) => (
        <LineView key={i} line={l} color={color} />
      ))}
    </Box>
  );
}

export const Header = Lines;
/** Time axis, one lane per node (and its Patroni agent when it was not running), leader key, quorum, faults, clients, incidents, and the cursor's caret. */
export const Lanes = Lines;
/** What holds at the cursor: role, timeline, LSN and lag per node; leader key, quorum, partition groups, client outcomes, faults, incidents. */
export const CursorPanel = Lines;
/** The focused node: Patroni's last HA cycle line, replication, DCS reachability. */
export const FocusDetail = Lines;
/** The event log around the cursor. */
export const EventLog = Lines;
export const HelpOverlay = Lines;
export const StatusBar = Lines;

export interface ReplayScreenProps {
  model: ReplayModel;
  state: ReplayState;
  size: ScreenSize;
  color?: boolean;
}

/** One frame of the replay. */
export function ReplayScreen({ model, state, size, color = true }: ReplayScreenProps): React.JSX.Element {
  const sc = useMemo(() => buildScreen(model, state, size, { color }), [model, state, size, color]);
  return (
    <Box flexDirection="column" width={Math.max(40, size.cols)}>
      <Header lines={sc.header} color={color} />
      <Lanes lines={sc.lanes} color={color} />
      {state.help ? (
        <HelpOverlay lines={sc.help} color={color} />
      ) : (
        <>
          <CursorPanel lines={sc.panel} color={color} />
          <FocusDetail lines={sc.focus} color={color} />
          <EventLog lines={sc.log} color={color} />
        </>
      )}
      <StatusBar lines={sc.status} color={color} />
    </Box>
  );
}
