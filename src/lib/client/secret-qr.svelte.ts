/** How long a secret link's QR code stays on screen after its click. */
export const SECRET_QR_SECONDS = 60;

/**
 * The QR code of a secret link (a key in its fragment): drawn in the browser on demand (the library loads then, and
 * the key never travels in a request), shown after an explicit click, hidden again by itself after
 * SECRET_QR_SECONDS, and at once by `hide` (a panel closed, the page hidden or left). Used by the facilitator's
 * links and by the community's and programme's device links.
 */
export class SecretQr {
  /** The image, while it is shown. */
  image = $state<string | null>(null);
  private drawn: { url: string; image: string } | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  async show(url: string): Promise<void> {
    if (this.drawn?.url !== url) {
      const QRCode = await import('qrcode');
      this.drawn = { url, image: await QRCode.toDataURL(url, { errorCorrectionLevel: 'M', margin: 2, width: 220 }) };
    }
    this.image = this.drawn.image;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.hide(), SECRET_QR_SECONDS * 1000);
  }

  hide(): void {
    this.image = null;
    clearTimeout(this.timer);
  }
}
