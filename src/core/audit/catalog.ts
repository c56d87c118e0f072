// The audit catalog: every check, by area. Ids are stable (`BH-<AREA>-NNN`) and never reused.

import { composeChecks } from './compose.js';
import { exposureChecks } from './exposure.js';
import { imagesChecks } from './images.js';
import { podSecurityChecks } from './pod-security.js';
import { rbacChecks } from './rbac.js';
import { secretsChecks } from './secrets.js';
import { segmentationChecks } from './segmentation.js';
import type { Check } from './types.js';

export const AUDIT_CHECKS: readonly Check[] = [
  ...exposureChecks,
  ...segmentationChecks,
  ...rbacChecks,
  ...podSecurityChecks,
  ...imagesChecks,
  ...secretsChecks,
  ...composeChecks,
];
