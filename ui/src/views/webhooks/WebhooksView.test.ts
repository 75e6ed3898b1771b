/**
 * The Webhooks page against a fake server: it lists endpoints, creates one and
 * shows its secret once (gone after "Done"), shows the server's field error,
 * sends a test ping, shows the delivery log, and deletes after confirmation.
 */
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiError, fakeFetch } from '../../test-fetch.ts';
import WebhooksView from './WebhooksView.vue';

const hook = {
  id: '00000000-0000-4000-8000-0000000000a1',
  url: 'https://hooks.example/ems',
  events: ['alert'],
  description: 'automation',
  createdAt: '2026-11-29T10:00:00Z',
};
const secret = `whsec_${'A'.repeat(43)}=`;

beforeEach(() => setActivePinia(createPinia()));

describe('WebhooksView', () => {
  it('creates an endpoint and shows its secret once; lists, tests, shows deliveries, deletes', async () => {
    let items = [hook];
    const server = fakeFetch({
      'GET /api/webhooks': () => ({ body: { items, total: items.length } }),
      'POST /api/webhooks': (call) => {
        const body = call.body as { url: string };
        if (body.url.includes('127.0.0.1'))
          return apiError(400, 'invalid_request', 'The webhook URL is not allowed', [
            { path: 'url', message: 'host 127.0.0.1 resolves to a private or loopback address' },
          ]);
        const created = {
          ...hook,
          id: '00000000-0000-4000-8000-0000000000a2',
          url: body.url,
          description: '',
        };
        items = [created, ...items];
        return { status: 201, body: { ...created, secret } };
      },
      'POST /api/webhooks/:id/test': () => ({ status: 202 }),
      'GET /api/webhooks/:id/deliveries': () => ({
        body: {
          total: 1,
          items: [
            {
              id: '00000000-0000-4000-8000-0000000000d1',
              event: 'ping',
              status: 'delivered',
              attempts: 1,
              responseStatus: 200,
              createdAt: '2026-11-29T10:01:00Z',
              deliveredAt: '2026-11-29T10:01:01Z',
            },
          ],
        },
      }),
      'DELETE /api/webhooks/:id': () => ({ status: 204 }),
    });
    const wrapper = mount(WebhooksView, { global: { stubs: { RouterLink: true } } });
    await flushPromises();
    expect(wrapper.get('[data-testid=webhooks-table]').text()).toContain('https://hooks.example/ems');

    await wrapper.get('[data-testid=webhook-add]').trigger('click');
    await wrapper.get('#webhook-url').setValue('http://127.0.0.1/x');
    await wrapper.get('.create form').trigger('submit');
    await flushPromises();
    expect(wrapper.get('#webhook-url + .field-error').text()).toContain('private or loopback');
    expect(wrapper.find('[data-testid=webhook-secret]').exists()).toBe(false);

    await wrapper.get('#webhook-url').setValue('https://other.example/hook');
    await wrapper.get('.create form').trigger('submit');
    await flushPromises();
    expect(server.last('POST /api/webhooks')?.body).toEqual({
      url: 'https://other.example/hook',
      events: ['alert'],
    });
    expect((wrapper.get('[data-testid=webhook-secret]').element as HTMLInputElement).value).toBe(secret);
    const done = wrapper.findAll('button').find((b) => b.text() === 'Done')!;
    await done.trigger('click');
    await flushPromises();
    expect(wrapper.find('[data-testid=webhook-secret]').exists()).toBe(false);
    expect(wrapper.get('[data-testid=webhooks-table]').text()).toContain('https://other.example/hook');

    const firstRow = () => wrapper.get('[data-testid=webhooks-table] tbody tr');
    await firstRow()
      .findAll('button')
      .find((b) => b.text() === 'Send test')!
      .trigger('click');
    await flushPromises();
    expect(
      server.last('POST /api/webhooks/:id/test') ?? server.calls.find((c) => c.path.endsWith('/test')),
    ).toBeDefined();

    await firstRow()
      .findAll('button')
      .find((b) => b.text() === 'Deliveries')!
      .trigger('click');
    await flushPromises();
    const log = wrapper.get('[data-testid=webhook-deliveries]').text();
    expect(log).toContain('ping');
    expect(log).toContain('delivered');

    await firstRow()
      .findAll('button')
      .find((b) => b.text() === 'Delete')!
      .trigger('click');
    await flushPromises();
    const confirm = wrapper
      .findAll('button')
      .find((b) => b.text() === 'Delete' && b.classes('btn-danger') && !b.classes('btn-sm'))!;
    await confirm.trigger('click');
    await flushPromises();
    expect(
      server.calls.some(
        (c) => c.method === 'DELETE' && c.path === '/api/webhooks/00000000-0000-4000-8000-0000000000a2',
      ),
    ).toBe(true);
    wrapper.unmount();
  });
});
