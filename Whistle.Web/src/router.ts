import { createRouter, createWebHistory, type RouteLocationRaw } from 'vue-router'
import type { TokenResponse, UserRole } from './api/types'
import { currentUser, onSessionExpired, sessionRestriction } from './stores/auth'
import LoginView from './views/LoginView.vue'

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean
    roles?: UserRole[]
  }
}

export function homeFor(role: UserRole | undefined): RouteLocationRaw {
  switch (role) {
    case 'township':
      return { name: 'township' }
    case 'branch':
    case 'agency':
    case 'institution':
      return { name: 'inbox' }
    case 'department':
      return { name: 'department' }
    case 'supervisor':
      return { name: 'board' }
    case 'establishment-office':
      return { name: 'submissions' }
    // 三员: each administrator's workspace is its one page.
    case 'sysadmin':
      return { name: 'whistle-list' }
    case 'secadmin':
      return { name: 'accounts' }
    case 'auditadmin':
      return { name: 'audit' }
    default:
      return { name: 'login' }
  }
}

/** Where a restricted token must go first: the expired password's change, or the second factor's enrolment. */
export function accountPageFor(token: Pick<TokenResponse, 'mustChangePassword' | 'mustEnrolSecondFactor'>): RouteLocationRaw | null {
  if (token.mustChangePassword) return { name: 'account', query: { force: 'password' } }
  if (token.mustEnrolSecondFactor) return { name: 'account', query: { force: 'second-factor' } }
  return null
}

export const router = createRouter({
  history: createWebHistory('/'),
  routes: [
    { path: '/login', name: 'login', component: LoginView, meta: { public: true } },
    { path: '/', name: 'home', redirect: () => homeFor(currentUser.value?.role) },
    {
      path: '/township',
      name: 'township',
      component: () => import('./views/TownshipView.vue'),
      meta: { roles: ['township'] },
    },
    {
      path: '/township/raise',
      name: 'raise',
      component: () => import('./views/RaiseView.vue'),
      meta: { roles: ['township'] },
    },
    // The city level (issue 17): a department's work requests, on the township's list and form (the level is the role's).
    {
      path: '/department',
      name: 'department',
      component: () => import('./views/TownshipView.vue'),
      meta: { roles: ['department'] },
    },
    {
      path: '/department/raise',
      name: 'work-raise',
      component: () => import('./views/RaiseView.vue'),
      meta: { roles: ['department'] },
    },
    {
      // The branch's inbox; an institution's (or office's) duty officer answers work requests in the same one.
      path: '/inbox',
      name: 'inbox',
      component: () => import('./views/InboxView.vue'),
      meta: { roles: ['branch', 'agency', 'institution'] },
    },
    // An institution's submissions (issue 17): 请示, 报告, 选拔任用备案; the department answers; the establishment office reads.
    {
      path: '/submissions',
      name: 'submissions',
      component: () => import('./views/SubmissionsView.vue'),
      meta: { roles: ['institution', 'department', 'establishment-office'] },
    },
    {
      path: '/submissions/new',
      name: 'submission-new',
      component: () => import('./views/SubmitView.vue'),
      meta: { roles: ['institution'] },
    },
    {
      path: '/submissions/:id',
      name: 'submission',
      component: () => import('./views/SubmissionDetailView.vue'),
      props: true,
      meta: { roles: ['institution', 'department', 'establishment-office'] },
    },
    {
      path: '/board',
      name: 'board',
      component: () => import('./views/BoardView.vue'),
      meta: { roles: ['supervisor'] },
    },
    {
      path: '/assessment',
      name: 'assessment',
      component: () => import('./views/AssessmentView.vue'),
      meta: { roles: ['supervisor', 'township', 'agency', 'department', 'institution', 'establishment-office'] },
    },
    // Branch heads (issue 16): the township's people view, the institution's inbox, the supervisor's overview.
    { path: '/heads', name: 'heads', component: () => import('./views/HeadsView.vue'), meta: { roles: ['township', 'agency', 'supervisor'] } },
    { path: '/heads/forms/:id', name: 'heads-form', component: () => import('./views/AssessmentFormView.vue'), props: true, meta: { roles: ['township', 'agency', 'supervisor'] } },
    { path: '/heads/forms/:id/print', name: 'heads-form-print', component: () => import('./views/FormPrintView.vue'), props: true, meta: { roles: ['township', 'agency', 'supervisor'] } },
    { path: '/heads/recommendations/:id', name: 'heads-recommendation', component: () => import('./views/RecommendationsView.vue'), props: true, meta: { roles: ['township', 'agency', 'supervisor'] } },
    {
      path: '/assessment/report',
      name: 'assessment-report',
      component: () => import('./views/MonthlyReportView.vue'),
      meta: { roles: ['supervisor', 'township'] },
    },
    {
      path: '/whistle-list',
      name: 'whistle-list',
      component: () => import('./views/WhistleListView.vue'),
      meta: { roles: ['sysadmin'] },
    },
    {
      path: '/accounts',
      name: 'accounts',
      component: () => import('./views/AccountsView.vue'),
      meta: { roles: ['secadmin'] },
    },
    {
      path: '/audit',
      name: 'audit',
      component: () => import('./views/AuditView.vue'),
      meta: { roles: ['auditadmin'] },
    },
    {
      path: '/meetings',
      name: 'meetings',
      component: () => import('./views/MeetingsView.vue'),
      // Joint meetings (issue 17): a department with its institutions, an institution with the departments it serves.
      meta: { roles: ['township', 'supervisor', 'department', 'institution'] },
    },
    // The establishment office (编办, issue 17): every relation's mechanism, activity and figures; its follow-ups.
    { path: '/office', name: 'office', component: () => import('./views/EstablishmentOfficeView.vue'), meta: { roles: ['establishment-office', 'supervisor'] } },
    {
      // Any role: the organizer runs the meeting here; a summoned unit sees it and answers its summons.
      path: '/meetings/:id',
      name: 'meeting',
      component: () => import('./views/MeetingDetailView.vue'),
      props: true,
    },
    // The signed-in account's own password and second factor (issue 11); also where a restricted token is kept.
    { path: '/account', name: 'account', component: () => import('./views/AccountView.vue') },
    // ---- issue 13: what each role expected ----
    { path: '/map', name: 'map', component: () => import('./views/MapView.vue'), meta: { roles: ['supervisor'] } },
    {
      // The whistles behind a chart bar, a ranking row or a search (the filters are the query).
      path: '/whistles',
      name: 'whistles',
      component: () => import('./views/WhistlesView.vue'),
      // Every business role the API's /api/whistles serves that has an assessment to drill down from (the city's too).
      meta: { roles: ['supervisor', 'township', 'agency', 'department', 'institution', 'establishment-office'] },
    },
    { path: '/exports', name: 'exports', component: () => import('./views/ExportsView.vue'), meta: { roles: ['supervisor'] } },
    {
      path: '/notice-channels',
      name: 'notice-channels',
      component: () => import('./views/NoticeChannelsView.vue'),
      meta: { roles: ['sysadmin'] },
    },
    { path: '/whistles/:id', name: 'whistle', component: () => import('./views/WhistleDetailView.vue'), props: true },
    { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue'), meta: { public: true } },
  ],
})

router.beforeEach((to) => {
  const user = currentUser.value
  if (to.meta.public) {
    if (to.name === 'login' && user) return homeFor(user.role)
    return true
  }
  if (!user) return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  const restriction = sessionRestriction.value
  if (restriction && to.name !== 'account') return { name: 'account', query: { force: restriction } }
  if (to.meta.roles && !to.meta.roles.includes(user.role)) return homeFor(user.role)
  return true
})

onSessionExpired(() => {
  const current = router.currentRoute.value
  void router.replace({
    name: 'login',
    query: { expired: '1', ...(current.meta.public || current.name === 'account' ? {} : { redirect: current.fullPath }) },
  })
})
