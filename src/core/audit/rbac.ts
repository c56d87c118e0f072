// Audit checks of the rbac area.

import type { Check } from './types.js';

export const rbacChecks: readonly Check[] = [];
