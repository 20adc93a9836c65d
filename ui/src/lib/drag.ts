import type { Appointment } from './api';

/** The appointment being dragged on the calendar (dataTransfer is unreadable during dragover). */
export const drag: { appointment: Appointment | null } = { appointment: null };
