package testenv

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Xvfb is a private X server whose screen can be read back as an image.
type Xvfb struct {
	Display string // e.g. ":12", for DISPLAY
	fbFile  string
}

// StartXvfb starts Xvfb on a free display with a black root window and stops
// it when the test ends.
func StartXvfb(t testing.TB) *Xvfb {
	t.Helper()
	bin := Require(t, "Xvfb")
	dir := t.TempDir()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// -displayfd picks a free display and writes its number to fd 3.
	cmd := exec.Command(bin, "-displayfd", "3", "-screen", "0", "1024x768x24",
		"-fbdir", dir, "-nolisten", "tcp", "-br", "-noreset")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatalf("Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if n == "" {
			t.Fatal("Xvfb exited without reporting a display")
		}
		return &Xvfb{Display: ":" + n, fbFile: filepath.Join(dir, "Xvfb_screen0")}
	case <-time.After(15 * time.Second):
		t.Fatal("Xvfb did not start within 15s")
	}
	return nil
}

// Screenshot reads the whole screen from Xvfb's XWD framebuffer file.
func (x *Xvfb) Screenshot() (*image.RGBA, error) {
	raw, err := os.ReadFile(x.fbFile)
	if err != nil {
		return nil, err
	}
	return decodeXWD(raw)
}

// decodeXWD decodes the 24/32-bit TrueColor XWD images Xvfb writes.
func decodeXWD(raw []byte) (*image.RGBA, error) {
	if len(raw) < 100 {
		return nil, errors.New("xwd: short header")
	}
	h := make([]uint32, 25)
	for i := range h {
		h[i] = binary.BigEndian.Uint32(raw[i*4:])
	}
	headerSize, width, height := h[0], int(h[4]), int(h[5])
	byteOrder, bpp, bytesPerLine, ncolors := h[7], h[11], int(h[12]), h[19]
	if bpp != 32 {
		return nil, fmt.Errorf("xwd: %d bits per pixel not supported", bpp)
	}
	off := int(headerSize) + int(ncolors)*12
	if len(raw) < off+bytesPerLine*height {
		return nil, errors.New("xwd: truncated pixels")
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	for y := 0; y < height; y++ {
		row := raw[off+y*bytesPerLine:]
		for x := 0; x < width; x++ {
			var p uint32
			if byteOrder == 0 {
				p = binary.LittleEndian.Uint32(row[x*4:])
			} else {
				p = binary.BigEndian.Uint32(row[x*4:])
			}
			img.SetRGBA(x, y, color.RGBA{R: uint8(p >> 16), G: uint8(p >> 8), B: uint8(p), A: 255})
		}
	}
	return img, nil
}
