/**
 * Routes and who may see them. Sign-in is the only public page; everything
 * else needs a session, and `meta.role` keeps clients out of admin pages (the
 * server enforces the same; this only avoids showing pages that would 403).
 * Views other than sign-in are split into their own chunks.
 */
import {
  createRouter,
  createWebHistory,
  type RouteComponent,
  type RouteRecordRaw,
  type Router,
} from 'vue-router';
import type { Role } from '../../api/contract.ts';
import AppLayout from './components/AppLayout.vue';
import { useSession } from './stores/session.ts';
import LoginView from './views/LoginView.vue';

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean;
    role?: Role;
    title?: string;
  }
}

/** A signed-in page: path, route name, title, its view (a chunk of its own), who may see it, whether params are props. */
function page(
  path: string,
  name: string,
  title: string,
  component: RouteComponent | (() => Promise<RouteComponent>),
  options: { role?: Role; props?: true } = {},
): RouteRecordRaw {
  const { role, props } = options;
  return { path, name, component, ...(props ? { props } : {}), meta: { ...(role ? { role } : {}), title } };
}

/** An administrators' page: at /admin/<path>, named admin-<name>. */
function adminPage(
  path: string,
  name: string,
  title: string,
  component: () => Promise<RouteComponent>,
  options: { props?: true } = {},
): RouteRecordRaw {
  return page(path ? `admin/${path}` : 'admin', `admin-${name}`, title, component, {
    ...options,
    role: 'admin',
  });
}

const client = { role: 'client' } as const;

const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: LoginView, meta: { public: true, title: 'Sign in' } },
  {
    path: '/',
    component: AppLayout,
    children: [
      {
        path: '',
        name: 'home',
        redirect: () => (useSession().isAdmin ? { name: 'admin-overview' } : { name: 'dashboard' }),
      },
      page('my', 'dashboard', 'My devices', () => import('./views/client/DashboardView.vue'), client),
      page('devices/:id', 'device', 'Device', () => import('./views/DeviceView.vue'), { props: true }),
      page('support', 'support', 'Support', () => import('./views/client/SupportView.vue'), client),
      adminPage('', 'overview', 'Overview', () => import('./views/admin/OverviewView.vue')),
      adminPage('users', 'users', 'Users', () => import('./views/admin/UsersView.vue')),
      adminPage('users/:id', 'user', 'User', () => import('./views/admin/UserDetailView.vue'), {
        props: true,
      }),
      adminPage('devices', 'devices', 'Devices', () => import('./views/admin/DevicesView.vue')),
      adminPage('alerts', 'alerts', 'Alerts', () => import('./views/admin/AlertsView.vue')),
      adminPage('chat/:clientId?', 'chat', 'Chat', () => import('./views/admin/InboxView.vue'), {
        props: true,
      }),
      page('account', 'account', 'Your account', () => import('./views/AccountView.vue')),
      page('webhooks', 'webhooks', 'Webhooks', () => import('./views/webhooks/WebhooksView.vue')),
      adminPage('audit', 'audit', 'Audit log', () => import('./views/admin/AuditView.vue')),
      page(':pathMatch(.*)*', 'not-found', 'Not found', () => import('./views/NotFoundView.vue')),
    ],
  },
];

export function createAppRouter(): Router {
  const router = createRouter({
    history: createWebHistory('/'),
    routes,
    scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
  });

  router.beforeEach(async (to) => {
    const session = useSession();
    if (to.meta.public) {
      if (to.name === 'login' && session.token && (await session.restore().catch(() => false))) {
        return { name: 'home' };
      }
      return true;
    }
    if (!session.token) return { name: 'login', query: { redirect: to.fullPath } };
    let ok = false;
    try {
      ok = await session.restore();
    } catch {
      // Server unreachable: let the page render its own error state instead of a blank screen.
      ok = session.user !== null;
    }
    if (!ok) return { name: 'login', query: { redirect: to.fullPath } };
    if (to.meta.role && session.user && to.meta.role !== session.user.role) return { name: 'home' };
    return true;
  });

  router.afterEach((to) => {
    document.title = to.meta.title ? `${to.meta.title} · EMS` : 'EMS';
  });

  return router;
}
