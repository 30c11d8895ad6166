/** Login = pasting an API token (Ripple's credential); it is checked with GET /api/me, then kept in this browser. */
import { h } from '../dom.ts';
import type { Page } from '../page.ts';
import { currentUser, logIn, logOut } from '../session.ts';
import { errorText, field, pageHeader, section } from '../ui.ts';

export const loginPage: Page = {
  async load(ctx) {
    const me = currentUser();
    const token = h('input', { type: 'password', name: 'token', required: true, autocomplete: 'off', spellcheck: 'false', placeholder: 'rpl_…' });
    const status = h('p', { role: 'status', class: 'action-status' });
    const form = h('form', { class: 'login-form', 'aria-label': 'Log in with an API token' },
      field('API token', token, { hint: 'Create one with: ripple token create <user> --scope maintainer. It is stored in this browser only.' }),
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Log in'), status);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        const user = await logIn(token.value.trim());
        status.textContent = `Signed in as ${user.user.name}.`;
        ctx.navigate(ctx.query.get('next') ?? '/');
      } catch (error) {
        status.textContent = errorText(error);
        status.className = 'action-status error';
      }
    });
    const out = h('button', { type: 'button', class: 'btn btn-plain' }, 'Log out');
    out.addEventListener('click', () => logOut());
    return {
      title: 'Log in',
      content: [
        pageHeader(me ? `Signed in as ${me.user.name}` : 'Log in'),
        me ? section('Session', h('p', {}, `Scopes of this token: ${me.scopes.join(', ')}.`), out) : null,
        section(me ? 'Use another token' : 'Paste a token', h('p', { class: 'muted' }, 'Reading needs no login. A token lets you subscribe, set priorities, snooze, waive and (as admin) pause collections.'), form),
      ],
    };
  },
};
