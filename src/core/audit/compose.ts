// Audit checks of the compose area.

import type { Check } from './types.js';

export const composeChecks: readonly Check[] = [];
