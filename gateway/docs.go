package gateway

import (
	"html/template"
	"io/fs"
	"net/http"
)

// The interactive API page: Swagger UI (npm's swagger-ui-dist, embedded in
// the binary by the build, no CDN) over /openapi.json.
var docsPage = template.Must(template.New("docs").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{{.}} — lmdbapi REST API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout",
    });
  </script>
</body>
</html>
`))

// docsHandler serves the page at /docs and the Swagger UI files under /docs/.
func docsHandler(file string, assets fs.FS) (http.Handler, error) {
	ui, err := fs.Sub(assets, "swagger-ui")
	if err != nil {
		return nil, err
	}
	files := http.StripPrefix("/docs/", http.FileServer(http.FS(ui)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/docs" || r.URL.Path == "/docs/" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_ = docsPage.Execute(w, file)
			return
		}
		files.ServeHTTP(w, r)
	}), nil
}
