/**
 * Company (legal entity) IDs. A Dynamics 365 legal entity's ID (the "Company" field, DataAreaId) is at
 * most 4 characters; mtdvat takes letters and digits and keeps them upper-cased, as D365 shows them.
 * https://learn.microsoft.com/dynamics365/fin-ops-core/fin-ops/organization-administration/organizations-organizational-hierarchies
 */
export const COMPANY_ID = /^[A-Za-z0-9]{1,4}$/;

export function isCompanyId(value: string): boolean {
  return COMPANY_ID.test(value);
}

export const COMPANY_ID_RULE = '1–4 letters or digits, e.g. DAT or GBSI';
