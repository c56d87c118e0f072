// Audit checks of the secrets area.

import type { Check } from './types.js';

export const secretsChecks: readonly Check[] = [];
