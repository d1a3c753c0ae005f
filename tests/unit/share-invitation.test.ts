import { describe, expect, it } from 'vitest';
import { parseShareInvitation } from '../../src/lib/domain/share-invitation';

const ORG = '4f6c1d2e-8a3b-4c5d-9e0f-112233445566';
const TOKEN = 'AbCdEfGhIjKlMnOpQrStUv_-0123456789xyz';

describe("an organisation's share invitation as pasted on a community page", () => {
  it('reads the organisation and token from the link, with whitespace around it', () => {
    expect(parseShareInvitation(` https://board.example/share#organisation=${ORG}&token=${TOKEN}\n`)).toEqual({ organisationId: ORG, token: TOKEN });
    expect(parseShareInvitation(`http://127.0.0.1:5173/share#token=${TOKEN}&organisation=${ORG}`)).toEqual({ organisationId: ORG, token: TOKEN });
  });

  it('refuses a bare organisation id, a programme link, a short or odd token and text', () => {
    for (const bad of [
      ORG,
      `https://board.example/o/${ORG}#token=${TOKEN}`,
      `https://board.example/share#organisation=${ORG}&token=short`,
      `https://board.example/share#organisation=${ORG}&token=${TOKEN}<script>`,
      `https://board.example/share#organisation=../x&token=${TOKEN}`,
      'hello',
      ''
    ])
      expect(parseShareInvitation(bad)).toBeNull();
  });
});
