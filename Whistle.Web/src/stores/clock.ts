import { ref } from 'vue'

/** The current time, ticking once a second: countdowns read it. */
export const now = ref(Date.now())
if (typeof window !== 'undefined') {
  setInterval(() => {
    now.value = Date.now()
  }, 1000)
}
