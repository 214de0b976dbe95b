// Reading a QR code in the browser: the camera (getUserMedia) or a photo,
// decoded by the vendored jsQR (window.jsQR, served from our own origin).

function decode(source, width, height) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(source, 0, 0, width, height);
  const image = ctx.getImageData(0, 0, width, height);
  const found = window.jsQR ? window.jsQR(image.data, width, height) : null;
  return found ? found.data : null;
}

export async function decodeImageFile(file) {
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    // Phone photos are large; jsQR is quick enough at about 1000 px.
    const scale = Math.min(1, 1000 / Math.max(img.naturalWidth, img.naturalHeight));
    return decode(img, Math.round(img.naturalWidth * scale), Math.round(img.naturalHeight * scale));
  } finally {
    URL.revokeObjectURL(url);
  }
}

export class CameraScanner {
  constructor(video, onFound) {
    this.video = video;
    this.onFound = onFound;
    this.stream = null;
    this.timer = null;
  }

  async start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw new Error("no camera");
    this.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    this.video.srcObject = this.stream;
    await this.video.play();
    this.timer = setInterval(() => this.tick(), 250);
  }

  tick() {
    const v = this.video;
    if (!v.videoWidth) return;
    const data = decode(v, v.videoWidth, v.videoHeight);
    if (data) {
      this.stop();
      this.onFound(data);
    }
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    this.stream = null;
    this.video.srcObject = null;
  }
}
