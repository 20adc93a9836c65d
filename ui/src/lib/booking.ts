// Where a booking goes: an existing slot, or a clinic-local start time.
import type { BookingInput, OpenTime, Slot } from './api';

export type Target =
  | { kind: 'slot'; slot_id: string; provider_id: string; location_id: string; local_start: string; local_end: string; provider_name?: string; appointment_type_id?: string | null }
  | { kind: 'time'; start: string; provider_id: string; location_id: string; provider_name?: string };

export function slotTarget(s: Slot, provider_name?: string): Target {
  return { kind: 'slot', slot_id: s.id, provider_id: s.provider_id, location_id: s.location_id, local_start: s.local_start, local_end: s.local_end, provider_name, appointment_type_id: s.appointment_type_id };
}

export function openTimeTarget(o: OpenTime): Target {
  return { kind: 'slot', slot_id: o.slot_id, provider_id: o.provider_id, location_id: o.location_id, local_start: o.local_start, local_end: o.local_end, provider_name: o.provider_name };
}

/** The booking input the core expects for a target. */
export function bookingInput(
  patient_id: string,
  target: Target,
  appointment_type_id: string | null,
  reason: string | null,
  overbook_reason: string | null = null,
): BookingInput {
  const base = { patient_id, appointment_type_id, reason, overbook_reason };
  return target.kind === 'slot'
    ? { ...base, slot_id: target.slot_id }
    : { ...base, start: target.start, provider_id: target.provider_id, location_id: target.location_id };
}
