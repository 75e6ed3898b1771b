/**
 * Routes and who may see them. Sign-in is the only public page; everything
 * else needs a session, and `meta.role` keeps clients out of admin pages (the
 * server enforces the same; this only avoids showing pages that would 403).
 * Views other than sign-in are split into their own chunks.
 */
import { createRouter, createWebHistory, type RouteRecordRaw, type Router } from 'vue-router';
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
      {
        path: 'my',
        name: 'dashboard',
        component: () => import('./views/client/DashboardView.vue'),
        meta: { role: 'client', title: 'My devices' },
      },
      {
        path: 'devices/:id',
        name: 'device',
        component: () => import('./views/DeviceView.vue'),
        props: true,
        meta: { title: 'Device' },
      },
      {
        path: 'support',
        name: 'support',
        component: () => import('./views/client/SupportView.vue'),
        meta: { role: 'client', title: 'Support' },
      },
      {
        path: 'admin',
        name: 'admin-overview',
        component: () => import('./views/admin/OverviewView.vue'),
        meta: { role: 'admin', title: 'Overview' },
      },
      {
        path: 'admin/users',
        name: 'admin-users',
        component: () => import('./views/admin/UsersView.vue'),
        meta: { role: 'admin', title: 'Users' },
      },
      {
        path: 'admin/users/:id',
        name: 'admin-user',
        component: () => import('./views/admin/UserDetailView.vue'),
        props: true,
        meta: { role: 'admin', title: 'User' },
      },
      {
        path: 'admin/devices',
        name: 'admin-devices',
        component: () => import('./views/admin/DevicesView.vue'),
        meta: { role: 'admin', title: 'Devices' },
      },
      {
        path: 'admin/alerts',
        name: 'admin-alerts',
        component: () => import('./views/admin/AlertsView.vue'),
        meta: { role: 'admin', title: 'Alerts' },
      },
      {
        path: 'admin/chat/:clientId?',
        name: 'admin-chat',
        component: () => import('./views/admin/InboxView.vue'),
        props: true,
        meta: { role: 'admin', title: 'Chat' },
      },
      {
        path: 'account',
        name: 'account',
        component: () => import('./views/AccountView.vue'),
        meta: { title: 'Your account' },
      },
      {
        path: 'webhooks',
        name: 'webhooks',
        component: () => import('./views/webhooks/WebhooksView.vue'),
        meta: { title: 'Webhooks' },
      },
      {
        path: 'admin/audit',
        name: 'admin-audit',
        component: () => import('./views/admin/AuditView.vue'),
        meta: { role: 'admin', title: 'Audit log' },
      },
      {
        path: ':pathMatch(.*)*',
        name: 'not-found',
        component: () => import('./views/NotFoundView.vue'),
        meta: { title: 'Not found' },
      },
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
