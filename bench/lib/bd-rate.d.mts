// Types for bench/lib/bd-rate.mjs (test/bd-rate.test.ts imports it).
export interface RdPoint {
  rate: number;
  psnr: number;
}
export interface PolyFit {
  coefficients: number[];
  shift: number;
  scale: number;
}
export interface BdRateDetail {
  percent: number;
  lowDb: number;
  highDb: number;
  overlapDb: number;
  fitDegree: number;
}
export function polyfit(xs: number[], ys: number[], degree: number): PolyFit;
export function integrate(fit: PolyFit, x0: number, x1: number): number;
export function bdRateDetailed(ref: RdPoint[], test: RdPoint[]): BdRateDetail | null;
export function bdRate(ref: RdPoint[], test: RdPoint[]): number | null;
export function atPsnr<K extends string>(points: Array<{ psnr: number } & Record<K, number>>, psnr: number, key: K): number | null;
