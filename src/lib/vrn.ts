/**
 * VAT registration numbers as the client checks them: the VAT API's nine-digit format and HMRC's
 * mod-97 check digits (https://www.gov.uk/guidance/vat-registration-numbers). The local emulator keeps
 * its own copy of HMRC's side on purpose, so a bug here cannot hide behind the same bug there.
 */
const WEIGHTS = [8, 7, 6, 5, 4, 3, 2];

/** The VAT API's own path check: exactly nine digits, no checksum. */
export const VRN_PATTERN = /^\d{9}$/;

export function isVrnFormat(vrn: string): boolean {
  return VRN_PATTERN.test(vrn);
}

function checkDigits(first7: string, offset: number): string {
  let total = offset;
  for (let i = 0; i < 7; i++) total += Number(first7[i]) * WEIGHTS[i];
  return String(Math.abs((total % 97) - 97)).padStart(2, '0');
}

/** True when the last two digits are a valid mod-97 check (classic or the "9755" variant). */
export function isValidVrn(vrn: string): boolean {
  if (!isVrnFormat(vrn)) return false;
  const check = vrn.slice(7);
  return check === checkDigits(vrn, 0) || check === checkDigits(vrn, 55);
}
