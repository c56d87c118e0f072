// CSV fields as Go's encoding/csv writes them, so that our CSV compares with netpol-analyzer's byte for byte.

/** RFC 4180 quoting: quote when a field has `,`, `"`, CR, LF or a leading space, doubling inner quotes. */
export function csvField(field: string): string {
  if (field === '' || !/[",\r\n]|^ /.test(field)) return field;
  return `"${field.replace(/"/g, '""')}"`;
}
