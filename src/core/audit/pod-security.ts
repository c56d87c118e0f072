// Audit checks of the pod-security area.

import type { Check } from './types.js';

export const podSecurityChecks: readonly Check[] = [];
