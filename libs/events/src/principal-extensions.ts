import { type ActingPrincipal, actingPrincipal } from '@flywheel/core';
import type { CloudEvent } from './cloud-event.ts';

/**
 * The acting principal as CloudEvents extension attributes: `authid`/`authtype` from the spec's
 * documented Auth Context extension, plus `authteams` (comma-separated) and `onbehalfof` (the
 * principal that started a chain of event-driven work). Lower-case alphanumeric, as CloudEvents
 * attribute names must be.
 */
export const principalAttributes = {
  id: 'authid',
  type: 'authtype',
  teams: 'authteams',
  onBehalfOf: 'onbehalfof',
} as const;

/** Auth Context `authtype` of a subject: a service acting on its own is `system`. */
function authTypeOf(subject: string): string {
  if (subject.startsWith('service:')) return 'system';
  if (subject.startsWith('sa:')) return 'service_account';
  if (subject === 'anonymous') return 'unauthenticated';
  return 'user';
}

/** The extension attributes of `acting` (none outside an acting scope). */
export function principalExtensions(
  acting: ActingPrincipal | undefined = actingPrincipal(),
): Record<string, string> {
  if (!acting) return {};
  return {
    [principalAttributes.id]: acting.subject,
    [principalAttributes.type]: authTypeOf(acting.subject),
    ...(acting.teams.length ? { [principalAttributes.teams]: acting.teams.join(',') } : {}),
    ...(acting.onBehalfOf ? { [principalAttributes.onBehalfOf]: acting.onBehalfOf } : {}),
  };
}

/** Who an event says acted, or undefined for an event without the attributes (e.g. from kcat). */
export function principalOfEvent(event: CloudEvent): ActingPrincipal | undefined {
  const ext = event.extensions ?? {};
  const subject = ext[principalAttributes.id];
  if (!subject) return undefined;
  const teams = ext[principalAttributes.teams];
  const onBehalfOf = ext[principalAttributes.onBehalfOf];
  return { subject, teams: teams ? teams.split(',') : [], ...(onBehalfOf ? { onBehalfOf } : {}) };
}

/**
 * Who `service` acts for when it handles `event`: its own identity, on behalf of whoever started
 * the chain (the event's `onbehalfof`, else its `authid`), so every hop names the originator.
 */
export function serviceActingOn(service: string, event: CloudEvent): ActingPrincipal {
  const by = principalOfEvent(event);
  const origin = by?.onBehalfOf ?? by?.subject;
  return { subject: service, teams: [], ...(origin ? { onBehalfOf: origin } : {}) };
}
