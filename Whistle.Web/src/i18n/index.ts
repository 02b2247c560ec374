import { computed, ref } from 'vue'
import zhCN from './zh-CN'
import en from './en'

export type Locale = 'zh-CN' | 'en'
export const LOCALES: Locale[] = ['zh-CN', 'en']
export const STORAGE_KEY = 'whistle.lang'

export type MessageTree = { [key: string]: string | MessageTree }

export const messages: Record<Locale, MessageTree> = { 'zh-CN': zhCN, en }

function storedLocale(): Locale {
  try {
    const v = globalThis.localStorage?.getItem(STORAGE_KEY)
    if (v === 'en' || v === 'zh-CN') return v
  } catch {
    /* storage blocked */
  }
  return 'zh-CN'
}

export const locale = ref<Locale>(storedLocale())
export const isEnglish = computed(() => locale.value === 'en')

export function setLocale(value: Locale): void {
  locale.value = value
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, value)
  } catch {
    /* storage blocked */
  }
  if (typeof document !== 'undefined') document.documentElement.lang = value
}

/** Looks a dotted key up in a message tree and fills `{name}` placeholders. */
export function translate(tree: MessageTree, key: string, params?: Record<string, string | number>): string | undefined {
  let node: string | MessageTree | undefined = tree
  for (const part of key.split('.')) {
    if (node === undefined || typeof node === 'string') return undefined
    node = node[part]
  }
  if (typeof node !== 'string') return undefined
  if (!params) return node
  return node.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m))
}

/** Every leaf key of a message tree, dotted. */
export function flattenKeys(tree: MessageTree, prefix = ''): string[] {
  const keys: string[] = []
  for (const [k, v] of Object.entries(tree)) {
    const full = prefix ? `${prefix}.${k}` : k
    if (typeof v === 'string') keys.push(full)
    else keys.push(...flattenKeys(v, full))
  }
  return keys
}

export function t(key: string, params?: Record<string, string | number>): string {
  return translate(messages[locale.value], key, params) ?? translate(messages['zh-CN'], key, params) ?? key
}

/** `t` for an optional key: the fallback when the key has no message (e.g. an event type added later). */
export function tOr(key: string, fallback: string, params?: Record<string, string | number>): string {
  return translate(messages[locale.value], key, params) ?? fallback
}

/** The name in the current language (English name when set and the UI is English). */
export function pickName(item: { name: string; nameEn?: string | null } | null | undefined, fallback = ''): string {
  if (!item) return fallback
  return locale.value === 'en' && item.nameEn ? item.nameEn : item.name
}
