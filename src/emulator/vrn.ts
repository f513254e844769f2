/**
 * VAT registration numbers: format and HMRC's mod-97 check digits.
 * The VAT API itself only checks `^\d{9}$`; the check digits matter for generated test users
 * (HMRC's test-user service generates mod-97 VRNs) and for config sanity checks.
 */
import { randomInt } from 'node:crypto';

const WEIGHTS = [8, 7, 6, 5, 4, 3, 2];

/** The VAT API's own path check: exactly nine digits, no checksum. */
export function isVrnFormat(vrn: string): boolean {
  return /^\d{9}$/.test(vrn);
}

function weightedTotal(first7: string): number {
  let total = 0;
  for (let i = 0; i < 7; i++) total += Number(first7[i]) * WEIGHTS[i];
  return total;
}

function checkDigits(total: number): string {
  return String(Math.abs((total % 97) - 97)).padStart(2, '0');
}

/** True when the last two digits are a valid mod-97 check (classic or the "9755" variant). */
export function isValidVrn(vrn: string): boolean {
  if (!isVrnFormat(vrn)) return false;
  const total = weightedTotal(vrn.slice(0, 7));
  const check = vrn.slice(7);
  return check === checkDigits(total) || check === checkDigits(total + 55);
}

/** Completes a 7-digit stem with its classic mod-97 check digits. */
export function vrnFromStem(stem: string): string {
  if (!/^\d{7}$/.test(stem)) throw new Error('VRN stem must be 7 digits');
  return stem + checkDigits(weightedTotal(stem));
}

/** Random valid VRN like HMRC's generator: 7 random digits (1000000–9999999) plus mod-97 check. */
export function generateVrn(): string {
  return vrnFromStem(String(randomInt(1_000_000, 10_000_000)));
}
