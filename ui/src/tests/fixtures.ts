// Small, hand-made data shaped like the core's answers.
import type { AppStatus, Appointment, Directory, Slot } from '../lib/api';

export function status(over: Partial<AppStatus> = {}): AppStatus {
  return {
    phase: 'unlocked', clinic_name: 'Maple Street Clinic', clinic_timezone: 'America/New_York', lock_reason: null, store_passphrase_needed: false, awaiting_accounts: false, data_dir: '/tmp/clinic', version: '0.1.0',
    session: { user_id: 'u-1', username: 'desk', display_name: 'Dana Desk', role: 'front-desk', provider_id: null },
    home: 'calendar',
    preferences: {
      theme: 'light', 'font-size': '15', 'note-format': 'soap', 'summary-style': 'concise',
      'calendar-view': 'day', 'home-view': 'role-default', 'idle-lock-minutes': '5',
    },
    idle_lock_minutes: 5,
    can: {
      book: true, check_in: true, room: true, write_notes: false, sign_notes: false, manage_users: false,
      read_audit: false, register_patients: true, edit_coverage: true, bill: false,
      view_images: false, import_images: false, link_images: false, annotate_images: false,
    },
    ...over,
  };
}

export const directory: Directory = {
  providers: [{ id: 'p-1', given_name: 'Ana', family_name: 'Ruiz', npi: null, specialty: 'Family medicine', credentials: 'MD', active: true, display_name: 'Dr Ana Ruiz' }],
  locations: [{ id: 'l-1', name: 'Main', timezone: 'America/New_York', address: null, phone: null, active: true }],
  rooms: [{ id: 'r-1', location_id: 'l-1', name: 'Exam 1', active: true }],
  appointment_types: [
    { id: 't-1', name: 'Follow-up', duration_minutes: 15, color: '#3b82f6', capacity: 1, active: true },
    { id: 't-2', name: 'New patient', duration_minutes: 30, color: '#10b981', capacity: 1, active: true },
  ],
};

export const slot: Slot = {
  id: 's-1', schedule_id: 'sc-1', provider_id: 'p-1', location_id: 'l-1', template_id: null, appointment_type_id: 't-2',
  starts_at: 1795444200, ends_at: 1795446000, local_start: '2026-11-23T09:30', local_end: '2026-11-23T10:00',
  capacity: 1, status: 'open', booked: 0,
};

export function appointment(over: Partial<Appointment> = {}): Appointment {
  return {
    id: 'a-1', patient_id: 'pt-1', patient_name: 'Lovelace, Ada', mrn: 'M0001', provider_id: 'p-1', provider_name: 'Dr Ana Ruiz',
    location_id: 'l-1', location_name: 'Main', appointment_type_id: 't-2', appointment_type: 'New patient', color: '#10b981',
    room_id: null, room_name: null, slot_id: 's-1', starts_at: 1795444200, ends_at: 1795446000,
    local_start: '2026-11-23T09:30:00-05:00', local_end: '2026-11-23T10:00:00-05:00', status: 'booked', reason: null,
    overbook_reason: null, cancel_reason: null, rescheduled_from: null, rescheduled_to: null, status_changed_at: 1795440000,
    arrived_at: null, roomed_at: null, seen_at: null, completed_at: null, ...over,
  };
}
