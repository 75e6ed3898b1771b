/**
 * Dashboard entry: Pinia, the router, and the one rule that ties the HTTP
 * client to the session — a 401 anywhere ends the session and returns to
 * sign-in with a message, keeping the page the user was on for afterwards.
 */
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { onUnauthorized } from './api/http.ts';
import { createAppRouter } from './router.ts';
import { useSession } from './stores/session.ts';
import './styles/main.css';

const app = createApp(App);
const pinia = createPinia();
app.use(pinia);
const router = createAppRouter();
app.use(router);

const session = useSession(pinia);
onUnauthorized(() => {
  session.expire();
  const current = router.currentRoute.value;
  if (!current.meta.public) void router.replace({ name: 'login', query: { redirect: current.fullPath } });
});

app.mount('#app');
