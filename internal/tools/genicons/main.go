// Command genicons draws Kumo's app and tray icons as PNG files.
//
// The artwork is geometry (a cloud of circles, a glyph per state), rendered
// with 4x4 supersampling, so the icons are original and reproducible:
//
//	go generate ./assets
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"
)

// shape reports whether a point in unit coordinates (0..1, y down) is inside.
type shape func(x, y float64) bool

type layer struct {
	in    shape
	paint func(x, y float64) color.NRGBA
}

func solid(c color.NRGBA) func(x, y float64) color.NRGBA {
	return func(float64, float64) color.NRGBA { return c }
}

func circle(cx, cy, r float64) shape {
	return func(x, y float64) bool { return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r }
}

func roundRect(x0, y0, x1, y1, r float64) shape {
	return func(x, y float64) bool {
		if x < x0 || x > x1 || y < y0 || y > y1 {
			return false
		}
		dx := math.Max(math.Max(x0+r-x, x-(x1-r)), 0)
		dy := math.Max(math.Max(y0+r-y, y-(y1-r)), 0)
		return dx*dx+dy*dy <= r*r
	}
}

func union(shapes ...shape) shape {
	return func(x, y float64) bool {
		for _, s := range shapes {
			if s(x, y) {
				return true
			}
		}
		return false
	}
}

// minus is what is in a but not in b.
func minus(a, b shape) shape {
	return func(x, y float64) bool { return a(x, y) && !b(x, y) }
}

// stroke is a polyline of the given half-width with round joints.
func stroke(half float64, pts ...[2]float64) shape {
	return func(x, y float64) bool {
		for i := 0; i+1 < len(pts); i++ {
			if segDist(x, y, pts[i], pts[i+1]) <= half {
				return true
			}
		}
		return false
	}
}

func segDist(x, y float64, a, b [2]float64) float64 {
	vx, vy := b[0]-a[0], b[1]-a[1]
	t := ((x-a[0])*vx + (y-a[1])*vy) / (vx*vx + vy*vy)
	t = math.Max(0, math.Min(1, t))
	px, py := a[0]+t*vx-x, a[1]+t*vy-y
	return math.Hypot(px, py)
}

func triangle(a, b, c [2]float64) shape {
	side := func(p, q [2]float64, x, y float64) float64 {
		return (q[0]-p[0])*(y-p[1]) - (q[1]-p[1])*(x-p[0])
	}
	return func(x, y float64) bool {
		d1, d2, d3 := side(a, b, x, y), side(b, c, x, y), side(c, a, x, y)
		neg := d1 < 0 || d2 < 0 || d3 < 0
		pos := d1 > 0 || d2 > 0 || d3 > 0
		return !(neg && pos)
	}
}

// cloud is the Kumo mark: three puffs on a flat, rounded base.
var cloud = union(
	circle(0.34, 0.57, 0.16),
	circle(0.52, 0.45, 0.225),
	circle(0.71, 0.58, 0.15),
	roundRect(0.16, 0.50, 0.86, 0.74, 0.11),
)

var glyphs = map[string]shape{
	"busy": union(
		triangle([2]float64{0.52, 0.36}, [2]float64{0.405, 0.50}, [2]float64{0.635, 0.50}),
		roundRect(0.485, 0.48, 0.555, 0.67, 0.015),
	),
	"idle":   stroke(0.04, [2]float64{0.41, 0.56}, [2]float64{0.49, 0.64}, [2]float64{0.64, 0.46}),
	"paused": union(roundRect(0.43, 0.44, 0.49, 0.66, 0.01), roundRect(0.55, 0.44, 0.61, 0.66, 0.01)),
	"error":  union(roundRect(0.49, 0.38, 0.55, 0.58, 0.03), circle(0.52, 0.645, 0.035)),
	// late: a clock face, for a backup that has fallen behind.
	"late": union(
		minus(circle(0.52, 0.555, 0.135), circle(0.52, 0.555, 0.09)),
		stroke(0.022, [2]float64{0.52, 0.48}, [2]float64{0.52, 0.56}, [2]float64{0.575, 0.60}),
	),
}

func render(size int, layers []layer) *image.NRGBA {
	const ss = 4
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/ss) / float64(size)
					y := (float64(py) + (float64(sy)+0.5)/ss) / float64(size)
					// Topmost layer that covers the sample wins.
					for i := len(layers) - 1; i >= 0; i-- {
						if layers[i].in(x, y) {
							c := layers[i].paint(x, y)
							fa := float64(c.A) / 255
							r += float64(c.R) * fa
							g += float64(c.G) * fa
							b += float64(c.B) * fa
							a += fa
							break
						}
					}
				}
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{
				R: uint8(r / a), G: uint8(g / a), B: uint8(b / a),
				A: uint8(math.Round(a / (ss * ss) * 255)),
			})
		}
	}
	return img
}

func write(path string, img image.Image) {
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

func main() {
	out := flag.String("out", ".", "folder to write the PNG files into")
	flag.Parse()

	white := color.NRGBA{255, 255, 255, 255}
	top, bottom := color.NRGBA{0x2B, 0x6C, 0xE0, 255}, color.NRGBA{0x12, 0xB5, 0xE8, 255}
	gradient := func(_, y float64) color.NRGBA {
		mix := func(a, b uint8) uint8 { return uint8(float64(a) + (float64(b)-float64(a))*y) }
		return color.NRGBA{mix(top.R, bottom.R), mix(top.G, bottom.G), mix(top.B, bottom.B), 255}
	}
	appIcon := []layer{
		{roundRect(0.03, 0.03, 0.97, 0.97, 0.2), gradient},
		{cloud, solid(white)},
		{glyphs["busy"], gradient},
	}
	write(filepath.Join(*out, "icon.png"), render(512, appIcon))
	// The freedesktop icon theme's sizes, drawn at each size rather than scaled.
	for _, n := range []int{16, 24, 32, 48, 64, 128, 256, 512} {
		dir := filepath.Join(*out, "hicolor", fmt.Sprintf("%dx%d", n, n))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			log.Fatal(err)
		}
		write(filepath.Join(dir, "io.kumobackup.kumo.png"), render(n, appIcon))
	}

	trayColors := map[string]color.NRGBA{
		"idle":   {0x2B, 0x6C, 0xE0, 255},
		"busy":   {0x12, 0x9E, 0xD8, 255},
		"paused": {0x80, 0x86, 0x8F, 255},
		"error":  {0xD9, 0x3A, 0x3A, 255},
		"late":   {0xE0, 0x8A, 0x00, 255},
	}
	for state, c := range trayColors {
		write(filepath.Join(*out, "tray-"+state+".png"), render(64, []layer{
			{cloud, solid(c)},
			{glyphs[state], solid(white)},
		}))
	}
}
