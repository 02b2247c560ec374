import { createApp } from 'vue'
import {
  ElAlert,
  ElButton,
  ElCheckbox,
  ElConfigProvider,
  ElDialog,
  ElEmpty,
  ElForm,
  ElInput,
  ElPagination,
  ElRadio,
  ElSelect,
  ElSwitch,
  ElTag,
} from 'element-plus'
import 'element-plus/dist/index.css'
import './assets/app.css'
import App from './App.vue'
import { router } from './router'
import { setLocale, locale } from './i18n'

const app = createApp(App)
// Each plugin also registers its children: ElForm → ElFormItem, ElRadio → ElRadioGroup/ElRadioButton,
// ElSelect → ElOption/ElOptionGroup, ElCheckbox → ElCheckboxGroup/ElCheckboxButton (the meeting's unit picker). (ElRadioGroup & co. alone install nothing.)
for (const c of [
  ElAlert,
  ElButton,
  ElCheckbox,
  ElConfigProvider,
  ElDialog,
  ElEmpty,
  ElForm,
  ElInput,
  ElPagination,
  ElRadio,
  ElSelect,
  ElSwitch,
  ElTag,
]) {
  app.use(c)
}
setLocale(locale.value)
app.use(router)
app.mount('#app')
