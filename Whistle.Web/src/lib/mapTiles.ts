/**
 * Web Mercator (EPSG:3857) for the supervisor's map: the projection ECharts draws the townships in, so that a county's
 * XYZ tiles (天地图) lie exactly under them, and the tiles that cover the visible part at the scale ECharts drew.
 */

/** Longitude/latitude → the unit square of the Mercator world (x east, y south), as XYZ tiles count it. */
export function project([lon, lat]: number[]): number[] {
  const phi = (Math.max(-85.05112878, Math.min(85.05112878, lat)) * Math.PI) / 180
  return [(lon + 180) / 360, (1 - Math.log(Math.tan(Math.PI / 4 + phi / 2)) / Math.PI) / 2]
}

export function unproject([x, y]: number[]): number[] {
  const lon = x * 360 - 180
  const lat = (Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180) / Math.PI
  return [lon, lat]
}

export interface Tile {
  key: string
  src: string
  left: number
  top: number
  size: number
}

/** The URL of one tile: `{z}`, `{x}`, `{y}`, and `{s}` (0–7, spread over the 天地图 servers t0–t7). */
export function tileSrc(template: string, z: number, x: number, y: number): string {
  return template
    .replaceAll('{z}', String(z))
    .replaceAll('{x}', String(x))
    .replaceAll('{y}', String(y))
    .replaceAll('{s}', String((x + y) % 8))
}

/**
 * The tiles that cover a `width` × `height` view in which the world's unit square is drawn `scale` pixels wide with its
 * origin at (`originX`, `originY`): the zoom whose tiles come nearest 256 px, at most `max` tiles.
 */
export function coveringTiles(
  template: string,
  view: { width: number; height: number; scale: number; originX: number; originY: number },
  max = 150,
): Tile[] {
  const { width, height, scale, originX, originY } = view
  if (!(scale > 0) || !Number.isFinite(originX) || !Number.isFinite(originY)) return []
  const z = Math.max(0, Math.min(18, Math.round(Math.log2(scale / 256))))
  const n = 2 ** z
  const size = scale / n
  const x0 = Math.max(0, Math.floor(-originX / size))
  const x1 = Math.min(n - 1, Math.floor((width - originX) / size))
  const y0 = Math.max(0, Math.floor(-originY / size))
  const y1 = Math.min(n - 1, Math.floor((height - originY) / size))
  const tiles: Tile[] = []
  for (let y = y0; y <= y1; y++)
    for (let x = x0; x <= x1; x++) {
      if (tiles.length >= max) return tiles
      tiles.push({ key: `${z}/${x}/${y}`, src: tileSrc(template, z, x, y), left: originX + x * size, top: originY + y * size, size })
    }
  return tiles
}

export type DotKind = 'overdue' | 'unreported' | 'in-progress' | 'resolved'

/** The colour of a whistle's dot: overdue first (red), then what it waits for. */
export const DOT_COLOURS: Record<DotKind, string> = {
  overdue: '#b42318',
  unreported: '#d97706',
  'in-progress': '#1d4ed8',
  resolved: '#15803d',
}
