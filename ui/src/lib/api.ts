// The contract between the screens and the Rust core. Every call goes through
// `call`, which turns a refused command into an `AppError` whose message is a
// plain sentence for the person at the keyboard.
import { invoke } from '@tauri-apps/api/core';

export type Role = 'front-desk' | 'physician' | 'nurse' | 'biller' | 'admin';
export type Home = 'calendar' | 'flow-board' | 'my-day' | 'audit' | 'billing';
export type AppointmentStatus =
  | 'booked' | 'confirmed' | 'arrived' | 'roomed' | 'with-provider'
  | 'completed' | 'cancelled' | 'no-show';

export interface SessionInfo {
  user_id: string;
  username: string;
  display_name: string;
  role: Role;
  provider_id: string | null;
}

export interface Preferences {
  theme: 'light' | 'dark' | 'system';
  'font-size': string; // "12".."28"
  'note-format': 'soap' | 'bullets';
  'summary-style': 'concise' | 'detailed';
  'calendar-view': 'day' | 'week';
  'home-view': 'role-default' | 'calendar' | 'flow-board' | 'my-day' | 'audit';
  'idle-lock-minutes': string; // "1".."30"
  [key: string]: string;
}

export interface AppStatus {
  phase: 'first-run' | 'locked' | 'unlocked';
  clinic_name: string | null;
  /** IANA zone of the clinic: "today" and every time shown are in it. */
  clinic_timezone: string | null;
  data_dir: string;
  version: string;
  /** Set while unlocked. */
  session: SessionInfo | null;
  /** The screen this user lands on after unlocking. */
  home: Home | null;
  /** Defaults while locked; the user's own while unlocked. */
  preferences: Preferences;
  idle_lock_minutes: number;
  /** Why the screen locked by itself (idle), to say on the lock screen. */
  lock_reason: string | null;
  /** The key is in a passphrase-protected key file not opened yet: ask for it too. */
  store_passphrase_needed: boolean;
  /** Joined a clinic; nobody's account has arrived from the server yet. */
  awaiting_accounts: boolean;
  /** What this role may do; screens hide what the core would refuse. */
  can: {
    book: boolean; check_in: boolean; room: boolean; write_notes: boolean;
    sign_notes: boolean; manage_users: boolean; read_audit: boolean;
    register_patients: boolean; edit_coverage: boolean; bill: boolean;
    view_images: boolean; import_images: boolean; link_images: boolean; annotate_images: boolean;
  };
}

export interface Provider {
  id: string; given_name: string; family_name: string; npi: string | null;
  specialty: string | null; credentials: string | null; active: boolean;
  display_name: string;
}
export interface Location {
  id: string; name: string; timezone: string; address: string | null;
  phone: string | null; active: boolean;
}
export interface Room { id: string; location_id: string; name: string; active: boolean }
export interface AppointmentType {
  id: string; name: string; duration_minutes: number; color: string; capacity: number; active: boolean;
}
export interface Directory {
  providers: Provider[]; locations: Location[]; rooms: Room[]; appointment_types: AppointmentType[];
}

export interface Slot {
  id: string; schedule_id: string; provider_id: string; location_id: string;
  template_id: string | null; appointment_type_id: string | null;
  starts_at: number; ends_at: number; // unix seconds
  /** Clinic-local "YYYY-MM-DDTHH:MM" of the slot's start and end. */
  local_start: string; local_end: string;
  capacity: number; status: string; booked: number;
}

export interface Appointment {
  id: string; patient_id: string; patient_name: string; mrn: string;
  provider_id: string; provider_name: string; location_id: string; location_name: string;
  appointment_type_id: string; appointment_type: string; color: string;
  room_id: string | null; room_name: string | null; slot_id: string | null;
  starts_at: number; ends_at: number;
  /** RFC 3339 with offset, in the location's zone. */
  local_start: string; local_end: string;
  status: AppointmentStatus; reason: string | null; overbook_reason: string | null;
  cancel_reason: string | null; rescheduled_from: string | null; rescheduled_to: string | null;
  status_changed_at: number; arrived_at: number | null; roomed_at: number | null;
  seen_at: number | null; completed_at: number | null;
}

export interface ProviderColumn { provider: Provider; slots: Slot[]; appointments: Appointment[] }
export interface DayBoard { date: string; location_id: string | null; columns: ProviderColumn[] }
export interface WeekBoard { provider: Provider; from: string; to: string; days: { date: string; slots: Slot[]; appointments: Appointment[] }[] }

export interface FlowRow {
  appointment: Appointment; waiting_minutes: number | null; in_status_minutes: number;
  visit_minutes: number | null; late: boolean;
  /** The patient's insurance verification, once one was asked for. */
  eligibility: { state: EligibilityState; headline: string } | null;
}

export type Sex = 'female' | 'male' | 'other' | 'unknown';
export type Relationship = 'self' | 'spouse' | 'child' | 'other';
export interface Coverage {
  id: string; patient_id: string; priority: number; payer_name: string; payer_id: string;
  member_id: string; group_number: string | null; subscriber_name: string;
  relationship: Relationship; active: boolean;
}
export interface PatientSummary {
  id: string; mrn: string; given_name: string; family_name: string; birth_date: string;
  sex: Sex; phone: string | null;
}
export interface Patient extends PatientSummary {
  email: string | null; address_line: string | null; city: string | null; state: string | null;
  postal_code: string | null; country: string | null; active: boolean; coverages: Coverage[];
}
export interface PatientInput {
  mrn?: string | null; given_name: string; family_name: string; birth_date: string; // YYYY-MM-DD
  sex?: Sex | null; phone?: string | null; email?: string | null; address_line?: string | null;
  city?: string | null; state?: string | null; postal_code?: string | null; country?: string | null;
}
/** Amounts in cents; coinsurance as the payer's fraction ("0.2" is 20 %). */
export interface ServiceBenefits {
  service_type: string; network: 'in' | 'out' | 'both' | 'unknown';
  copay_cents: number | null; coinsurance_percent: string | null;
  deductible_cents: number | null; deductible_remaining_cents: number | null;
  out_of_pocket_max_cents: number | null; out_of_pocket_remaining_cents: number | null;
}
export interface Rejection { code: string; text: string; fix: string | null; follow_up: string | null }
export interface EligibilityResult {
  payload_id: string; trace_number: string; payer_name: string; active: boolean; status: string | null;
  plan_name: string | null; plan_number: string | null; group_name: string | null; group_number: string | null;
  benefits: ServiceBenefits[]; rejections: Rejection[]; messages: string[];
}
export type EligibilityState = 'active' | 'inactive' | 'rejected' | 'waiting' | 'failed' | 'expired' | 'not-checked';
export interface CoverageEligibility {
  coverage_id: string; priority: number; payer_name: string; member_id: string;
  state: EligibilityState; headline: string; detail: string | null;
  requested_at: number | null; requested_by: string | null; answered_at: number | null;
  check_id: string | null; result: EligibilityResult | null;
}
export interface PatientEligibility { configured: boolean; can_check: boolean; coverages: CoverageEligibility[] }
export interface DayEligibilityReport {
  date: string; appointments: number; queued: number; already: number; no_coverage: number; message: string;
}
export interface BillingProvider { organization_name: string; npi: string; tax_id: string | null }
export interface SftpDrop {
  host: string; port: number; username: string; private_key: string | null;
  outbound_dir: string; inbound_dir: string; host_key_sha256: string;
}
/** How claim batches travel: CORE at the connection's address, or an SFTP drop. */
export type Transport = { kind: 'core' } | ({ kind: 'sftp' } & SftpDrop);
export interface PayerConnection {
  name: string; endpoint: string; sender_id: string; receiver_id: string; username: string;
  payer_ids: string[]; timeout_secs: number; test: boolean; transport?: Transport;
}
export interface PayerSettings {
  billing: BillingProvider | null;
  connections: (PayerConnection & { has_password: boolean; has_sftp_secret: boolean })[];
  can_change: boolean;
}
export interface PayerSettingsInput {
  billing: BillingProvider | null;
  connections: (PayerConnection & { password: string | null; sftp_secret: string | null })[];
}

export interface ClaimLine { code: string; modifiers: string[]; units: number; charge_cents: number; pointers: number[] }
export type ClaimStatus = 'draft' | 'submitted' | 'accepted' | 'rejected' | 'paid' | 'partial' | 'denied' | 'void';
export interface Claim {
  id: string; encounter_id: string; patient_id: string; coverage_id: string; provider_id: string; service_date: string;
  diagnoses: string[]; lines: ClaimLine[]; total_charge_cents: number; status: ClaimStatus; status_detail: string | null;
  batch_id: string | null; submitted_at: number | null; payer_claim_number: string | null;
  paid_cents: number; adjusted_cents: number; patient_resp_cents: number; created_at: number; created_by: string;
}
export type Delivery = 'queued' | 'sent' | 'failed';
export interface ClaimRow extends Claim {
  patient_name: string; payer_name: string;
  /** The batch the claim went in, and how that batch's delivery stands. */
  batch_control: number | null; delivery: Delivery | null; delivery_note: string | null;
}
export interface UnbilledVisit {
  encounter_id: string; patient_id: string; patient_name: string; provider_name: string; service_date: string;
  reason: string | null; payer_name: string | null;
}
export interface Denial { claim_id: string; patient_id: string; service_date: string; status: ClaimStatus; total_charge_cents: number; reasons: string[] }
export interface Aging { buckets: { label: string; claims: number; cents: number }[]; total_cents: number }
export interface Fee { id: string; code: string; modifier: string; description: string; charge_cents: number }
export interface SftpPickup {
  connection: string; at: number; applied: [string, string][]; failed: [string, string][]; error: string | null;
}
export interface ReplyDrop { connection: string; last: SftpPickup | null; next_at: number }
export interface FollowUpRun { at: number; answered: [string, string][]; failed: [string, string][] }
/** Sent claims asked about by themselves: first after `first_ask_after_days`, then weekly. */
export interface FollowUpView { first_ask_after_days: number; ask_again_after_days: number; last: FollowUpRun | null; due: number }
export interface BillingOverview {
  to_bill: UnbilledVisit[]; claims: ClaimRow[]; denials: Denial[]; aging: Aging; fees: Fee[]; codes_loaded: number;
  replies: ReplyDrop[]; follow_up: FollowUpView;
}
export interface Problem { field: string; message: string }
export interface ClaimView { claim: Claim; problems: Problem[] }
export interface LineDraft { code: string; modifiers: string[]; units: number; pointers: number[] }
export interface CodeMatch { code: string; billable: boolean; description: string }

export interface CoverageInput {
  priority?: number; payer_name: string; payer_id: string; member_id: string;
  group_number?: string | null; subscriber_name?: string | null; relationship?: Relationship | null;
}

export interface OpenTime {
  slot_id: string; provider_id: string; provider_name: string; location_id: string; location_name: string;
  starts_at: number; ends_at: number; local_start: string; local_end: string;
}

export interface BookingInput {
  patient_id: string;
  /** Either a slot… */
  slot_id?: string | null;
  /** …or a clinic-local start "YYYY-MM-DDTHH:MM" with provider and location. */
  start?: string | null; provider_id?: string | null; location_id?: string | null;
  appointment_type_id?: string | null; room_id?: string | null; reason?: string | null;
  /** Books past capacity or availability; the reason is kept. */
  overbook_reason?: string | null;
}

export interface Encounter {
  id: string; patient_id: string; provider_id: string; location_id: string | null;
  appointment_id: string | null; status: 'in-progress' | 'finished'; reason: string | null;
  started_at: number; ended_at: number | null;
}
export interface NoteContent { subjective: string; objective: string; assessment: string; plan: string; body: string }
export interface Addendum { id: string; author_id: string; author_name: string; body: string; created_at: number }
export interface Note {
  id: string; encounter_id: string; patient_id: string; author_id: string;
  format: 'soap' | 'bullets'; content: NoteContent; status: 'draft' | 'signed';
  author_name: string;
  created_at: number; updated_at: number; signed_at: number | null; signed_by: string | null;
  /** Display name of the signer, when signed. */
  signed_by_name: string | null;
  content_hash: string | null; addenda: Addendum[];
}
export interface EncounterView { encounter: Encounter; patient: Patient; appointment: Appointment | null; notes: Note[] }

export type DictationState = 'recording' | 'transcribing' | 'done' | 'failed' | 'cancelled' | 'interrupted';
export interface DictatedSegment { start_secs: number; end_secs: number; text: string }
export interface Dictation {
  id: string; encounter_id: string; patient_id: string; recorded_by: string;
  source: 'microphone' | 'file'; file_name: string | null; state: DictationState;
  started_at: number; finished_at: number | null; duration_secs: number; error: string | null;
  note_id: string | null; audio_removed_at: number | null; audio_secs: number;
  segments: DictatedSegment[]; transcript: string;
}
/** The dictation in progress, as the `scribe` event and commands report it. */
export interface ScribeUpdate {
  dictation_id: string; encounter_id: string; source: 'microphone' | 'file'; file_name: string | null;
  phase: 'recording' | 'transcribing' | 'done' | 'failed' | 'cancelled';
  audio_secs: number; progress: number | null; text: string; error: string | null;
}
export interface ScribeStatus { microphone: boolean; model: string | null; model_problem: string | null; active: ScribeUpdate | null }
export interface CodeCandidate { code: string; description: string }
export interface DraftProblem { phrase: string; searched: string; candidates: CodeCandidate[] }
export interface DraftMedication {
  name: string; said: string | null; dose: string | null; route: string | null; frequency: string | null;
  action: 'start' | 'continue' | 'stop' | 'change' | 'taking' | 'allergy' | 'mentioned';
}
export interface DictationDraft {
  note: Note; problems: DraftProblem[]; medications: DraftMedication[];
  code_set_loaded: boolean; drug_names_loaded: boolean;
}
export type AudioRetention = { policy: 'on-sign' } | { policy: 'days-after-sign'; days: number } | { policy: 'keep' };

export interface User {
  id: string; username: string; display_name: string; role: Role; provider_id: string | null; active: boolean;
}
export interface NewUser { username: string; display_name: string; role: Role; password: string; provider_id?: string | null }

export interface AuditRow {
  seq: number; at: number; user_id: string | null; username: string; device_id: string;
  patient_id: string | null; category: string; action: string; record_id: string | null; detail: string;
}
export interface AuditFilter {
  username?: string | null; patient_id?: string | null; action?: string | null; category?: string | null;
  /** Clinic-local dates, inclusive. */
  from?: string | null; to?: string | null; limit?: number | null;
}
export interface Verification { entries: number; intact: boolean; first_broken: number | null; problem: string | null }

export interface SyncStatus {
  enrolled: boolean; server: string | null;
  /** null until a first attempt; false while the server cannot be reached. */
  online: boolean | null;
  queued: number; last_success_at: number | null; last_attempt_at: number | null;
  last_error: string | null; conflicts: number;
}

/** A double booking or a shared MRN raised when offline desktops' changes met. */
export interface ConflictView {
  id: string; kind: 'double-booking' | 'duplicate-mrn'; detail: string; raised_at: number;
  appointments: Appointment[]; patients: Patient[];
}

export interface DemoProgress { phase: string; done: number; total: number }

export interface NewClinic {
  clinic_name: string; admin_username: string; admin_display_name: string; admin_password: string;
  /** IANA zone; the computer's when absent. */
  time_zone?: string | null;
}

export interface AvailableUpdate {
  version: string;
  notes: string | null;
  /** RFC 3339, as the update server published it. */
  date: string | null;
}
export interface UpdateState {
  current_version: string;
  available: AvailableUpdate | null;
  /** Installed and waiting for a restart. */
  installed: string | null;
}
export interface UpdateSettings {
  /** The administrator's update address on this desktop (else the built-in one). */
  source: string | null;
  can_change: boolean;
}
export interface ClinicSettings {
  name: string;
  /** IANA name, such as America/New_York. */
  timezone: string;
  /** Administrators may change them. */
  can_change: boolean;
}
export interface UpdateProgress { downloaded: number; total: number | null }

/** A refused command. `kind`: locked, bad-login, denied, not-found, invalid,
 * conflict, transition, wrong-key, key, io, internal. */
export class AppError extends Error {
  constructor(public kind: string, message: string) { super(message); }
}

export type LinkState = 'linked' | 'needs-confirmation';

export interface StudySummary {
  id: string; study_uid: string; link_state: LinkState; link_issues: string[];
  patient_id: string | null; mrn: string | null; patient_name: string | null;
  dicom_patient_id: string | null; dicom_patient_name: string | null; dicom_birth_date: string | null;
  study_date: string | null; study_time: string | null; accession_number: string | null; description: string | null;
  modalities: string[]; series: number; instances: number; bytes: number; imported_at: number;
}

export interface InstanceRow {
  sop_instance_uid: string; sop_class_uid: string; instance_number: number | null; slice_location: number | null;
  rows: number | null; columns: number | null; frames: number | null; transfer_syntax_uid: string; size: number;
}

export interface SeriesRow {
  series_uid: string; modality: string | null; series_number: number | null; description: string | null;
  instances: InstanceRow[];
}

export type AnnotationKind = 'distance' | 'angle' | 'roi' | 'arrow' | 'text';

export interface Annotation {
  id: string; study_uid: string; series_uid: string; sop_instance_uid: string; frame: number;
  kind: AnnotationKind; points: [number, number][]; label: string;
  created_by: string; created_by_name: string | null; created_at: number;
}

export interface NewAnnotation {
  sop_instance_uid: string; frame: number; kind: AnnotationKind; points: [number, number][]; label: string;
}

export interface StudyView { study: StudySummary; series: SeriesRow[]; annotations: Annotation[] }

export interface ImportReport {
  imported: number; already_present: number;
  failed: { source: string; reason: string }[];
  skipped: { source: string; reason: string }[];
  studies: { study_uid: string; link_state: LinkState | null; link_issues: string[]; imported: number; already_present: number; failed: number }[];
}

/** An image import (files or the PACS) as the `image-import` event reports it. */
export interface ImportUpdate {
  source: 'files' | 'pacs'; what: string; phase: 'receiving' | 'reading' | 'storing';
  done: number; total: number; finished: boolean; report: ImportReport | null; error: string | null;
}

export interface PacsStudy {
  study_uid: string; patient_id: string | null; patient_name: string | null; birth_date: string | null;
  study_date: string | null; accession_number: string | null; description: string | null;
  modalities: string[]; instances: number | null;
}

export interface TagEntry { tag: string; vr: string; keyword: string; value: string; depth: number }

export async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    if (e && typeof e === 'object' && 'message' in e) {
      const err = e as { kind?: string; message: string };
      throw new AppError(err.kind ?? 'internal', err.message);
    }
    throw new AppError('internal', typeof e === 'string' ? e : 'Something went wrong. Please try again.');
  }
}

export const api = {
  appStatus: () => call<AppStatus>('app_status'),
  /** The first screen is showing (the start-up benchmark stops its clock here). */
  screenReady: () => call<void>('screen_ready'),
  createClinic: (input: NewClinic) => call<AppStatus>('create_clinic', { input }),
  /** Enrolls with the clinic server and receives the clinic's records (may take a while). */
  joinClinic: (input: { server_url: string; code: string; device_name: string; clinic_name: string; time_zone: string | null }) =>
    call<AppStatus>('join_clinic', { input }),
  /** Emits `demo-progress` events (DemoProgress) while it fills the clinic. */
  createDemoClinic: (input: NewClinic) => call<AppStatus>('create_demo_clinic', { input }),
  login: (username: string, password: string, store_passphrase: string | null = null) =>
    call<AppStatus>('login', { input: { username, password, store_passphrase } }),
  /** `idle`: locked by the idle timer, so the lock screen says why. */
  lock: (idle = false) => call<AppStatus>('lock', { input: { idle } }),
  /** Tells the core the user is active (keyboard or mouse); throttle to once per 30 s. */
  activity: () => call<void>('activity'),

  directory: () => call<Directory>('directory'),
  dayBoard: (date: string, location_id: string | null) => call<DayBoard>('day_board', { input: { date, location_id } }),
  weekBoard: (date: string, provider_id: string) => call<WeekBoard>('week_board', { input: { date, provider_id } }),
  flowBoard: (date: string | null, location_id: string | null) => call<FlowRow[]>('flow_board', { input: { date, location_id } }),
  myDay: (date: string) => call<Appointment[]>('my_day', { input: { date } }),

  searchPatients: (query: string, limit = 25) => call<PatientSummary[]>('search_patients', { input: { query, limit } }),
  patient: (id: string) => call<Patient>('patient', { input: { id } }),
  registerPatient: (patient: PatientInput, coverage: CoverageInput | null) =>
    call<Patient>('register_patient', { input: { patient, coverage } }),
  updatePatient: (id: string, patient: PatientInput) => call<Patient>('update_patient', { input: { id, patient } }),
  addCoverage: (patient_id: string, coverage: CoverageInput) => call<Patient>('add_coverage', { input: { patient_id, coverage } }),

  nextAvailable: (q: { appointment_type_id: string; provider_id?: string | null; location_id?: string | null;
    from: string; to: string; earliest?: string | null; latest?: string | null; limit?: number }) =>
    call<OpenTime[]>('next_available', { input: q }),
  book: (input: BookingInput) => call<Appointment>('book', { input }),
  reschedule: (id: string, to: BookingInput) => call<Appointment>('reschedule', { input: { id, to } }),
  cancel: (id: string, reason: string) => call<Appointment>('cancel', { input: { id, reason } }),
  noShow: (id: string, reason: string) => call<Appointment>('no_show', { input: { id, reason } }),
  checkIn: (id: string) => call<Appointment>('check_in', { input: { id } }),
  eligibility: (patient_id: string) => call<PatientEligibility>('eligibility', { input: { id: patient_id } }),
  /** Queues a check (sent in the background); the answer arrives as a `store-changed` event. */
  checkEligibility: (coverage_id: string, appointment_id: string | null = null) =>
    call<PatientEligibility>('check_eligibility', { input: { coverage_id, appointment_id } }),
  /** Tomorrow when `date` is null. */
  checkDayEligibility: (date: string | null = null) => call<DayEligibilityReport>('check_day_eligibility', { input: { date } }),
  payerSettings: () => call<PayerSettings>('payer_settings'),
  billingOverview: () => call<BillingOverview>('billing_overview'),
  claimView: (id: string) => call<ClaimView>('claim_view', { input: { id } }),
  searchCodes: (query: string) => call<CodeMatch[]>('search_codes', { input: { query } }),
  /** Drafts a claim (no claim_id) or rewrites a draft; returns it scrubbed. */
  saveClaim: (input: { claim_id: string | null; encounter_id: string; diagnoses: string[]; lines: LineDraft[] }) =>
    call<ClaimView>('save_claim', { input }),
  submitClaims: (ids: string[]) => call<{ batches: number[]; message: string }>('submit_claims', { input: { ids } }),
  resendBatch: (batch_id: string) => call<string>('resend_batch', { input: { id: batch_id } }),
  pickUpReplies: () => call<string>('pick_up_replies'),
  /** An 835 to post, or 999/277CA acknowledgements; returns what happened in a sentence. */
  postBillingFile: (name: string, text: string) => call<string>('post_billing_file', { input: { name, text } }),
  /** Asks payers where sent claims stand (276/277); no ids: every claim still waiting for an answer. */
  checkClaimStatus: (ids: string[]) => call<string>('check_claim_status', { input: { ids } }),
  setFee: (input: { code: string; modifier: string | null; description: string; charge_cents: number }) => call<Fee>('set_fee', { input }),
  setPayerSettings: (input: PayerSettingsInput) => call<PayerSettings>('set_payer_settings', { input }),
  room: (id: string, room_id: string | null) => call<Appointment>('room', { input: { id, room_id } }),
  /** confirmed, with-provider, completed. */
  setStatus: (id: string, status: AppointmentStatus) => call<Appointment>('set_status', { input: { id, status } }),

  openEncounter: (appointment_id: string) => call<EncounterView>('open_encounter', { input: { appointment_id } }),
  saveDraft: (encounter_id: string, note_id: string | null, format: 'soap' | 'bullets', content: NoteContent) =>
    call<Note>('save_draft', { input: { encounter_id, note_id, format, content } }),
  signNote: (note_id: string) => call<Note>('sign_note', { input: { note_id } }),
  addAddendum: (note_id: string, body: string) => call<Note>('add_addendum', { input: { note_id, body } }),
  finishEncounter: (encounter_id: string) => call<EncounterView>('finish_encounter', { input: { encounter_id } }),

  scribeStatus: () => call<ScribeStatus>('scribe_status'),
  recordDictation: (encounter_id: string) => call<ScribeUpdate>('record_dictation', { input: { encounter_id } }),
  /** The file's bytes go as base64; the core decodes them in memory. */
  importDictation: (encounter_id: string, file_name: string, data_base64: string) =>
    call<ScribeUpdate>('import_dictation', { input: { encounter_id, file_name, data_base64 } }),
  retryDictation: (dictation_id: string) => call<ScribeUpdate>('retry_dictation', { input: { dictation_id } }),
  stopDictation: () => call<void>('stop_dictation'),
  cancelDictation: () => call<void>('cancel_dictation'),
  dictations: (encounter_id: string) => call<Dictation[]>('dictations', { input: { encounter_id } }),
  discardDictation: (dictation_id: string) => call<Dictation>('discard_dictation', { input: { dictation_id } }),
  draftFromDictation: (dictation_id: string, note_id: string | null) =>
    call<DictationDraft>('draft_from_dictation', { input: { dictation_id, note_id } }),
  audioRetention: () => call<AudioRetention>('audio_retention'),
  setAudioRetention: (retention: AudioRetention) => call<AudioRetention>('set_audio_retention', { input: { retention } }),

  /** Studies on this computer: one patient's (by MRN), or those waiting for confirmation. */
  imagingStudies: (mrn: string | null, waiting = false) => call<StudySummary[]>('imaging_studies', { input: { mrn, waiting } }),
  imagingStudy: (study_uid: string) => call<StudyView>('imaging_study', { input: { study_uid } }),
  annotations: (study_uid: string) => call<Annotation[]>('annotations', { input: { study_uid } }),
  confirmStudy: (study_uid: string, mrn: string) => call<StudySummary>('confirm_study', { input: { study_uid, mrn } }),
  addAnnotation: (input: NewAnnotation) => call<Annotation>('add_annotation', { input }),
  /** Moves an annotation's points, rewrites its label, or both (its author only). */
  editAnnotation: (input: { id: string; points?: [number, number][]; label?: string }) =>
    call<Annotation>('edit_annotation', { input }),
  removeAnnotation: (id: string) => call<void>('remove_annotation', { input: { id } }),
  /** Opens a series for viewing (audited once); returns its images in stacking order. */
  openSeries: (series_uid: string) => call<string[]>('open_series', { input: { series_uid } }),
  /** A frame message (lib/viewer.ts parseFrame). */
  viewerFrame: (series_uid: string, sop_instance_uid: string, frame: number) =>
    call<ArrayBuffer>('viewer_frame', { input: { series_uid, sop_instance_uid, frame } }),
  seriesThumbnail: (series_uid: string) => call<ArrayBuffer>('series_thumbnail', { input: { series_uid } }),
  imageTags: (series_uid: string, sop_instance_uid: string) =>
    call<TagEntry[]>('image_tags', { input: { series_uid, sop_instance_uid, frame: 0 } }),
  /** `overlay_png`: what the screen draws over the image, as a PNG data URL of the image's size. */
  exportImage: (input: { series_uid: string; sop_instance_uid: string; frame: number; center: number | null; width: number | null; invert: boolean; path: string; overlay_png?: string | null }) =>
    call<{ path: string; width: number; height: number }>('export_image', { input }),
  /** Starts importing files, folders or discs; progress comes as `image-import` events. */
  importImages: (paths: string[]) => call<ImportUpdate>('import_images', { input: { paths } }),
  imageImportStatus: () => call<ImportUpdate | null>('image_import_status'),
  searchPacs: (input: { patient_id: string | null; patient_name: string | null; study_date: string | null; modality: string | null }) =>
    call<PacsStudy[]>('search_pacs', { input }),
  retrieveStudy: (study_uid: string) => call<ImportUpdate>('retrieve_study', { input: { study_uid } }),

  setPreference: (key: string, value: string) => call<AppStatus>('set_preference', { input: { key, value } }),

  users: () => call<User[]>('users'),
  addUser: (input: NewUser) => call<User>('add_user', { input }),
  setUserActive: (user_id: string, active: boolean) => call<User[]>('set_user_active', { input: { user_id, active } }),
  auditReport: (filter: AuditFilter) => call<AuditRow[]>('audit_report', { input: filter }),
  /** Writes a CSV file into the user's Documents folder (or the data folder). */
  exportAuditCsv: (filter: AuditFilter) => call<{ path: string; rows: number }>('export_audit_csv', { input: filter }),
  verifyAudit: () => call<Verification>('verify_audit'),

  syncStatus: () => call<SyncStatus>('sync_status'),
  /** Open double bookings and shared MRNs; settled ones (a visit cancelled or moved, an MRN changed) drop out. */
  syncConflicts: () => call<ConflictView[]>('sync_conflicts'),

  updateState: () => call<UpdateState>('update_state'),
  /** Asks the update server; errors (kind `updates`) say why in plain words. */
  checkForUpdate: () => call<UpdateState>('check_for_update'),
  /** Downloads, verifies the signature and installs; emits `update-progress`. */
  installUpdate: () => call<UpdateState>('install_update'),
  restartApp: () => call<void>('restart_app'),
  updateSettings: () => call<UpdateSettings>('update_settings'),
  setUpdateSource: (url: string | null) => call<UpdateSettings>('set_update_source', { input: { url } }),
  clinicSettings: () => call<ClinicSettings>('clinic_settings'),
  setClinicSettings: (input: { name: string | null; timezone: string | null }) =>
    call<ClinicSettings>('set_clinic_settings', { input }),
};
