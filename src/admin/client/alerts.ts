/// <reference lib="dom" />
/**
 * How the console gets an agent's attention: the unread count in the tab title, an optional beep
 * (WebAudio, no sound file) and desktop notifications once the agent opts in. Both are off by
 * default and remembered in localStorage.
 */
const SOUND_KEY = 'lc-sound';
const DESKTOP_KEY = 'lc-desktop';

const baseTitle = document.title;

/** "(3) Conversations · Live Chat admin" while 3 conversations have unread messages. */
export function showUnreadCount(count: number): void {
  document.title = count > 0 ? `(${count}) ${baseTitle}` : baseTitle;
}

let audio: AudioContext | null = null;

/** A short two-tone beep. Browsers allow sound only after the page has had a click or key press. */
function beep(): void {
  audio ??= new AudioContext();
  if (audio.state === 'suspended') void audio.resume();
  const start = audio.currentTime;
  for (const [offset, frequency] of [[0, 880], [0.12, 660]] as const) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = 'sine';
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.2, start + offset + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.1);
    osc.connect(gain).connect(audio.destination);
    osc.start(start + offset);
    osc.stop(start + offset + 0.11);
  }
}

export interface Alert {
  title: string;
  body: string;
  /** Groups notifications: a newer one for the same conversation replaces the older. */
  tag: string;
  onClick(): void;
}

export class Alerts {
  sound = localStorage.getItem(SOUND_KEY) === '1';
  desktop = localStorage.getItem(DESKTOP_KEY) === '1' && 'Notification' in window && Notification.permission === 'granted';

  /** Wires the two checkboxes and the hint next to them. */
  bind(soundBox: HTMLInputElement, desktopBox: HTMLInputElement, hint: HTMLElement): void {
    soundBox.checked = this.sound;
    desktopBox.checked = this.desktop;
    soundBox.addEventListener('change', () => {
      this.sound = soundBox.checked;
      localStorage.setItem(SOUND_KEY, this.sound ? '1' : '0');
      if (this.sound) beep();
    });
    if (!('Notification' in window)) {
      desktopBox.disabled = true;
      hint.textContent = 'This browser has no desktop notifications.';
      return;
    }
    desktopBox.addEventListener('change', async () => {
      hint.textContent = '';
      if (!desktopBox.checked) {
        this.desktop = false;
        localStorage.setItem(DESKTOP_KEY, '0');
        return;
      }
      const permission = Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission;
      this.desktop = permission === 'granted';
      desktopBox.checked = this.desktop;
      localStorage.setItem(DESKTOP_KEY, this.desktop ? '1' : '0');
      if (!this.desktop) hint.textContent = 'Notifications are blocked for this site in the browser’s settings.';
    });
  }

  /** A visitor wrote or a conversation started: beep and, when the agent is elsewhere, notify. */
  raise(alert: Alert, agentIsLooking: boolean): void {
    if (this.sound) beep();
    if (!this.desktop || agentIsLooking) return;
    let n: Notification;
    try {
      n = new Notification(alert.title, { body: alert.body, tag: alert.tag });
    } catch {
      // Chrome on Android has no page notifications (only a service worker's): the constructor
      // throws, and the list and title must still update. The title count and badges remain.
      return;
    }
    n.onclick = () => {
      window.focus();
      alert.onClick();
      n.close();
    };
  }
}
