// Escaping for text and attribute values in the HTML and SVG reports.

/** Escapes the five characters HTML and XML give meaning to, so input can sit in text and quoted attributes. */
export function escapeMarkup(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
