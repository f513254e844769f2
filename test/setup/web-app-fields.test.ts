import { describe, expect, it } from 'vitest';
import { webAppRecordFields } from '../../src/setup/web-app.js';

describe('webAppRecordFields (the one mapping of the WebApplication record)', () => {
  it('maps every non-secret D365 field as stored, empty when missing, and never a secret', () => {
    const f = webAppRecordFields({
      key: ['Sandbox HMRC'],
      data: {
        WEBAPPLICATIONNAME: 'Sandbox HMRC',
        DESCRIPTION: 'd',
        BASEURL: ' https://test-api.service.hmrc.gov.uk/ ',
        AUTHORIZATIONURLPATH: '/oauth/authorize',
        TOKENURLPATH: '/oauth/token',
        REDIRECTURL: 'urn:ietf:wg:oauth:2.0:oob',
        ACCEPT: 'application/vnd.hmrc.1.0+json',
        AUTHORIZATIONFORMATMAPPING: 'm1',
        CLIENTSECRET: 'never-mapped',
      },
    });
    expect(f).toEqual({
      name: 'Sandbox HMRC',
      description: 'd',
      baseUrl: ' https://test-api.service.hmrc.gov.uk/ ',
      authorizationPath: '/oauth/authorize',
      tokenPath: '/oauth/token',
      redirectUrl: 'urn:ietf:wg:oauth:2.0:oob',
      accept: 'application/vnd.hmrc.1.0+json',
      contentType: '',
      authorizationFormatMapping: 'm1',
      importTokenModelMapping: '',
    });
    expect(webAppRecordFields({ key: ['K'], data: {} }).name).toBe('K');
  });
});
