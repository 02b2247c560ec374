// Helpers for file downloads (CSV export).

/** `attachment; filename="a.csv"; filename*=UTF-8''b.csv` → `b.csv` (RFC 6266: filename* wins). */
export function fileNameFromDisposition(header: string | null | undefined): string | null {
  if (!header) return null
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header)
  if (star) {
    try {
      return decodeURIComponent(star[1].trim().replace(/^"|"$/g, ''))
    } catch {
      /* fall through */
    }
  }
  const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/.exec(header)
  if (plain) return (plain[2] ?? plain[1]).trim() || null
  return null
}

