/** A RoomFanout that records every message and disconnect, by audience: the live session driven without sockets. */
import type { RoomFanout } from '../../server/sessions/fanout';

export interface Sent {
  to: string;
  event: string;
  args: unknown[];
}

export function recordingFanout() {
  const sent: Sent[] = [];
  const record =
    (to: string) =>
    (_code: string, event: string, ...args: unknown[]) =>
      void sent.push({ to, event, args });
  const fanout: RoomFanout = {
    toAll: record('all') as RoomFanout['toAll'],
    toFacilitators: record('facilitators') as RoomFanout['toFacilitators'],
    toParticipants: record('participants') as RoomFanout['toParticipants'],
    toPresenters: record('presenters') as RoomFanout['toPresenters'],
    toParticipant: ((_code: string, id: string, event: string, ...args: unknown[]) =>
      void sent.push({ to: `participant:${id}`, event, args })) as RoomFanout['toParticipant'],
    toParticipantElsewhere: ((_code: string, id: string, origin: string | undefined, event: string, ...args: unknown[]) =>
      void sent.push({ to: `participant:${id}${origin ? ` except ${origin}` : ''}`, event, args })) as RoomFanout['toParticipantElsewhere'],
    toFacilitatorsElsewhere: ((_code: string, origin: string | undefined, event: string, ...args: unknown[]) =>
      void sent.push({ to: `facilitators${origin ? ` except ${origin}` : ''}`, event, args })) as RoomFanout['toFacilitatorsElsewhere'],
    toEachParticipant: ((_code: string, event: string) => void sent.push({ to: 'each', event, args: [] })) as RoomFanout['toEachParticipant'],
    disconnectParticipant: (_code, id) => void sent.push({ to: `participant:${id}`, event: '(disconnect)', args: [] }),
    disconnectAccount: (_code, accountId) => void sent.push({ to: `account:${accountId}`, event: '(disconnect)', args: [] }),
    disconnectAll: () => void sent.push({ to: 'all', event: '(disconnect)', args: [] })
  };
  return { fanout, sent, events: (name: string) => sent.filter((s) => s.event === name) };
}
