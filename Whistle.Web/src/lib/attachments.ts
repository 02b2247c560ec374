// Photos and files (issue 14): uploads with progress, and the bytes of an attachment read with the token.
import type { Attachment, ProblemDetails } from '../api/types'
import { problemText } from './problem'
import { accessToken } from '../stores/auth'

export interface GpsPosition {
  latitude: number
  longitude: number
}

export interface UploadedFile {
  id: string
  fileName: string
  mediaKind: Attachment['mediaKind']
  contentType: string
  sizeBytes: number
  url: string
  displayUrl?: string | null
  thumbnailUrl?: string | null
  gps?: GpsPosition | null
}

/** Why an upload failed: the API's problem (its code, params and English detail), or a network failure (status 0; retry). */
export class UploadError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
    readonly problem: ProblemDetails | null = null,
  ) {
    super(message)
  }

  /** What the failure says to a person, in the UI's language: the problem's code translated (never the English detail in Chinese). */
  get text(): string {
    return problemText(this.problem ?? { status: this.status, code: this.code ?? undefined })
  }
}

/** What the file pickers accept: photos (the camera, the gallery) and the documents the API keeps. */
export const DOCUMENT_ACCEPT = '.pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,application/pdf'

/**
 * Uploads one file (multipart, `POST /api/attachments`), reporting progress 0–100; resolves with what the API stored.
 * One request per file: each has its own progress and its own retry, and the form stays usable meanwhile.
 */
export function uploadFile(
  file: File,
  whistleId: string | undefined,
  onProgress: (percent: number) => void,
  signal?: AbortSignal,
  meetingId?: string,
): Promise<UploadedFile> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', uploadPath(whistleId, meetingId))
    const token = accessToken()
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`)
    xhr.setRequestHeader('Accept', 'application/json')
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(Math.min(99, Math.round((e.loaded / e.total) * 100)))
    }
    xhr.onload = () => {
      let body: ({ items?: UploadedFile[] } & ProblemDetails) | null = null
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null
      } catch {
        body = null
      }
      if (xhr.status === 201 && body?.items?.[0]) {
        onProgress(100)
        resolve(body.items[0])
      } else {
        reject(new UploadError(body?.detail || body?.title || `HTTP ${xhr.status}`, xhr.status, body?.code ?? null, body ? { ...body, status: body.status ?? xhr.status } : null))
      }
    }
    xhr.onerror = () => reject(new UploadError('network', 0, null))
    xhr.onabort = () => reject(new UploadError('aborted', 0, 'aborted'))
    signal?.addEventListener('abort', () => xhr.abort())
    const form = new FormData()
    form.append('files', file, file.name)
    xhr.send(form)
  })
}

/** Where an upload goes: for a whistle (a report, a resolution, a later note), for a meeting (its minutes), or for an item not yet made (a raise). */
export function uploadPath(whistleId?: string, meetingId?: string): string {
  if (whistleId) return `/api/attachments?whistleId=${encodeURIComponent(whistleId)}`
  if (meetingId) return `/api/attachments?meetingId=${encodeURIComponent(meetingId)}`
  return '/api/attachments'
}

const blobs = new Map<string, Promise<string>>()

/** An object URL for an attachment's bytes (fetched once with the token; `<img>` cannot send one). */
export function blobUrl(url: string): Promise<string> {
  let found = blobs.get(url)
  if (!found) {
    found = (async () => {
      const token = accessToken()
      const response = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} })
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      return URL.createObjectURL(await response.blob())
    })()
    found.catch(() => blobs.delete(url))
    blobs.set(url, found)
  }
  return found
}

/** Saves an attachment's original under its (server-sanitised) name. */
export async function download(a: Attachment): Promise<void> {
  const href = await blobUrl(a.url)
  const link = document.createElement('a')
  link.href = href
  link.download = a.fileName
  document.body.appendChild(link)
  link.click()
  link.remove()
}

export function isImage(a: Pick<Attachment, 'mediaKind' | 'thumbnailUrl'>): boolean {
  return a.mediaKind === 'image' && !!a.thumbnailUrl
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`
}
