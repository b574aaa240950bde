package compose

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

var (
	dev        = Env{Name: "dev"}
	staging    = Env{Name: "staging"}
	production = Env{Name: "production", Production: true}
)

// declaredSecrets is the Komposer's secrets list for these tests.
func declaredSecrets(name string) bool {
	return name == "DB_USER" || name == "DB_PASSWORD"
}

// TestExpandString expands one string value, at the root and under a key,
// and checks the result (value and Go type) and that no error is reported.
func TestExpandString(t *testing.T) {
	tests := []struct {
		name string
		env  Env
		in   string
		want any
	}{
		// $ENV, only where the next character is not a letter, digit or _.
		{"ENV alone", dev, "$ENV", "dev"},
		{"ENV then dot", staging, "$ENV.x", "staging.x"},
		{"ENV in a host name", staging, "hello-world.$ENV.orcra.dev", "hello-world.staging.orcra.dev"},
		{"ENV after text", dev, "x-$ENV", "x-dev"},
		{"ENV then dash", dev, "$ENV-db", "dev-db"},
		{"ENV then slash", dev, "$ENV/x", "dev/x"},
		{"ENV then brace", dev, "$ENV}", "dev}"},
		{"ENV twice", dev, "$ENV-$ENV", "dev-dev"},
		{"ENV adjacent ENV", dev, "$ENV$ENV", "devdev"},
		{"ENV then letter", dev, "$ENVX", "$ENVX"},
		{"ENV then lower letter", dev, "$ENVx", "$ENVx"},
		{"ENV then underscore", dev, "$ENV_X", "$ENV_X"},
		{"ENV then digit", dev, "$ENV1", "$ENV1"},
		{"ENV lower case", dev, "$env", "$env"},
		{"other variable", dev, "$HOME", "$HOME"},
		{"dollar alone", dev, "$", "$"},
		{"dollar at the end", dev, "costs 5$", "costs 5$"},
		{"ENV in production", production, "auth.$ENV.orcra.dev", "auth.production.orcra.dev"},

		// ${env.name}
		{"env.name alone", dev, "${env.name}", "dev"},
		{"env.name inside", staging, "db-${env.name}.svc", "db-staging.svc"},
		{"env.name then letters", staging, "${env.name}x", "stagingx"},

		// ${env.production}: exactly -> bool; inside a longer string -> text.
		{"production exactly, true", production, "${env.production}", true},
		{"production exactly, false", dev, "${env.production}", false},
		{"production inside, true", production, "prod=${env.production}", "prod=true"},
		{"production inside, false", dev, "prod=${env.production}", "prod=false"},
		{"production with a space", dev, " ${env.production}", " false"},
		{"production twice", production, "${env.production}${env.production}", "truetrue"},

		// $$ is a literal $.
		{"double dollar", dev, "$$", "$"},
		{"four dollars", dev, "$$$$", "$$"},
		{"double dollar ENV", dev, "$$ENV", "$ENV"},
		{"triple dollar ENV", dev, "$$$ENV", "$dev"},
		{"double dollar in text", dev, "a$$b", "a$b"},
		{"escaped env.name", dev, "$${env.name}", "${env.name}"},
		{"escaped env.production", production, "$${env.production}", "${env.production}"},
		{"escaped unknown env", dev, "$${env.unknown}", "${env.unknown}"},

		// Secrets stay references.
		{"declared secret", dev, "${secrets.DB_PASSWORD}", "${secrets.DB_PASSWORD}"},
		{"declared secret inside", production, "user=${secrets.DB_USER};env=$ENV", "user=${secrets.DB_USER};env=production"},

		// Any other ${...} is kept.
		{"other reference", dev, "${FOO}", "${FOO}"},
		{"other dotted reference", dev, "${vars.region}", "${vars.region}"},
		{"empty reference", dev, "${}", "${}"},
		{"other reference then ENV", dev, "${FOO}-$ENV", "${FOO}-dev"},

		// An unterminated ${ is kept, unless a template name follows it
		// (TestExpandErrors).
		{"unterminated", dev, "${", "${"},
		{"unterminated, not a template name", dev, "$ENV-${HOME", "dev-${HOME"},

		// No template at all.
		{"plain", dev, "plain text", "plain text"},
		{"empty", dev, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, errs := expand(tt.in, tt.env, declaredSecrets)
			if len(errs) > 0 {
				t.Fatalf("expand(%q) errors: %v", tt.in, errs)
			}
			if got != tt.want {
				t.Errorf("expand(%q) in %s = %#v (%T), want %#v (%T)", tt.in, tt.env.Name, got, got, tt.want, tt.want)
			}
			// The same string as a value inside a manifest.
			m := map[string]any{"spec": map[string]any{"value": tt.in}}
			out, changed, errs := expand(m, tt.env, declaredSecrets)
			if len(errs) > 0 {
				t.Fatalf("expand(spec.value: %q) errors: %v", tt.in, errs)
			}
			// What reports no change is shared by every environment.
			if want := any(tt.want) != any(tt.in); changed != want {
				t.Errorf("expand(spec.value: %q) reports changed=%v, want %v", tt.in, changed, want)
			}
			v := out.(map[string]any)["spec"].(map[string]any)["value"]
			if v != tt.want {
				t.Errorf("expand(spec.value: %q) in %s = %#v (%T), want %#v (%T)", tt.in, tt.env.Name, v, v, tt.want, tt.want)
			}
		})
	}
}

// TestExpandAfterUnterminatedBrace: an unterminated ${ is kept, but the
// rest of the string is still a string like any other, so $ENV and $$ after
// it are expanded (the SPEC's table applies to every string value).
func TestExpandAfterUnterminatedBrace(t *testing.T) {
	tests := []struct{ in, want string }{
		{"${ $ENV", "${ dev"},
		{"${ $$", "${ $"},
		{"cost ${ $ENV.x", "cost ${ dev.x"},
		{"$${env.name", "${env.name"}, // the escape stays text, unterminated or not
		{"${HOME", "${HOME"},          // not a template name: text, as a shell script writes it
	}
	for _, tt := range tests {
		got, _, errs := expand(tt.in, dev, declaredSecrets)
		if len(errs) > 0 {
			t.Errorf("expand(%q) errors: %v", tt.in, errs)
			continue
		}
		if got != tt.want {
			t.Errorf("expand(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

// TestExpandErrors: undeclared secrets and unknown ${env.…} references are
// errors at the value's path; the value is left as written.
func TestExpandErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantMsg []string // substrings of the message
	}{
		{"undeclared secret", "${secrets.API_TOKEN}", []string{`"API_TOKEN"`, "not declared"}},
		{"undeclared secret inside", "token=${secrets.API_TOKEN}&env=$ENV", []string{`"API_TOKEN"`, "not declared"}},
		{"secret name case matters", "${secrets.db_password}", []string{`"db_password"`, "not declared"}},
		{"empty secret name", "${secrets.}", []string{"not declared"}},
		{"unknown env field", "${env.unknown}", []string{"${env.unknown}"}},
		{"unknown env field inside", "x-${env.region}-y", []string{"${env.region}"}},
		{"env field case matters", "${env.Name}", []string{"${env.Name}"}},
		{"unterminated env reference", "${env.name", []string{"unterminated template ${env.name", `closing "}"`, "$${env."}},
		{"unterminated env reference inside", "https://${env.name.example.com", []string{"unterminated template ${env.name.example.com"}},
		{"unterminated env prefix", "x ${env.", []string{"unterminated template ${env."}},
		{"unterminated secret reference", "${secrets.DB_PASSWORD", []string{"unterminated template ${secrets.DB_PASSWORD", "$${secrets."}},
	}
	path := []string{"spec", "template", "0", "value"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[string]any{
				"spec": map[string]any{
					"template": []any{map[string]any{"value": tt.in}},
				},
			}
			out, _, errs := expand(m, dev, declaredSecrets)
			if len(errs) != 1 {
				t.Fatalf("expand(%q): %d errors %v, want 1", tt.in, len(errs), errs)
			}
			if !reflect.DeepEqual(errs[0].path, path) {
				t.Errorf("error path = %q, want %q", errs[0].path, path)
			}
			for _, s := range tt.wantMsg {
				if !strings.Contains(errs[0].msg, s) {
					t.Errorf("error message %q does not contain %q", errs[0].msg, s)
				}
			}
			v := out.(map[string]any)["spec"].(map[string]any)["template"].([]any)[0].(map[string]any)["value"]
			if v != tt.in {
				t.Errorf("value with an error = %#v, want it as written, %q", v, tt.in)
			}
		})
	}
}

// TestExpandErrorPaths: every bad string is reported once, at its own path,
// wherever it is.
func TestExpandErrorPaths(t *testing.T) {
	m := map[string]any{
		"metadata": map[string]any{"name": "${secrets.NOPE}"},
		"spec": map[string]any{
			"containers": []any{
				map[string]any{"name": "a", "env": []any{
					map[string]any{"name": "OK", "value": "${secrets.DB_USER}"},
					map[string]any{"name": "BAD", "value": "${env.zone}"},
				}},
			},
			"args":   []any{"ok", []any{"${secrets.ALSO_NOPE}"}},
			"domain": map[string]any{"default": "x", "environment": "${env.cluster}.example"},
		},
	}
	_, _, errs := expand(m, dev, declaredSecrets)
	var got []string
	for _, e := range errs {
		got = append(got, strings.Join(e.path, "."))
	}
	slices.Sort(got)
	want := []string{
		"metadata.name",
		"spec.args.1.0",
		"spec.containers.0.env.1.value",
		"spec.domain.environment",
	}
	if !slices.Equal(got, want) {
		t.Errorf("error paths = %q, want %q", got, want)
	}
}

// TestExpandTree: templates inside lists and nested maps are expanded, keys
// never, and non-string values are left alone.
func TestExpandTree(t *testing.T) {
	in := map[string]any{
		"$ENV": "$ENV",
		"metadata": map[string]any{
			"name":   "app-$ENV",
			"labels": map[string]any{"${env.name}": "${env.name}", "prod": "${env.production}"},
		},
		"spec": map[string]any{
			"replicas": int64(2),
			"enabled":  true,
			"ratio":    0.5,
			"nothing":  nil,
			"args":     []any{"--env=$ENV", "--literal=$$ENV", int64(3), []any{"$ENV"}},
			"containers": []any{
				map[string]any{
					"name": "app",
					"env": []any{
						map[string]any{"name": "URL", "value": "https://$ENV.example"},
						map[string]any{"name": "PROD", "value": "${env.production}"},
						map[string]any{"name": "PASS", "value": "${secrets.DB_PASSWORD}"},
					},
				},
			},
		},
	}
	want := map[string]any{
		"$ENV": "staging",
		"metadata": map[string]any{
			"name":   "app-staging",
			"labels": map[string]any{"${env.name}": "staging", "prod": false},
		},
		"spec": map[string]any{
			"replicas": int64(2),
			"enabled":  true,
			"ratio":    0.5,
			"nothing":  nil,
			"args":     []any{"--env=staging", "--literal=$ENV", int64(3), []any{"staging"}},
			"containers": []any{
				map[string]any{
					"name": "app",
					"env": []any{
						map[string]any{"name": "URL", "value": "https://staging.example"},
						map[string]any{"name": "PROD", "value": false},
						map[string]any{"name": "PASS", "value": "${secrets.DB_PASSWORD}"},
					},
				},
			},
		},
	}
	got, _, errs := expand(in, staging, declaredSecrets)
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("expand =\n%#v\nwant\n%#v", got, want)
	}
}

// TestExpandNonStrings: values that are not strings come back unchanged.
func TestExpandNonStrings(t *testing.T) {
	for _, v := range []any{nil, true, false, int64(7), 1.5, []any{}, map[string]any{}} {
		got, changed, errs := expand(v, production, declaredSecrets)
		if len(errs) > 0 || !reflect.DeepEqual(got, v) || changed {
			t.Errorf("expand(%#v) = %#v, %v, changed=%v; want it unchanged", v, got, errs, changed)
		}
	}
}

// TestExpandDomain: a map with exactly default and environment under a
// domain key becomes default in production and environment (templates
// filled in) elsewhere; any other map is left a map.
func TestExpandDomain(t *testing.T) {
	domainMap := func() map[string]any {
		return map[string]any{
			"default":     "hello-world.orcra.dev",
			"environment": "hello-world.$ENV.orcra.dev",
		}
	}
	tests := []struct {
		name string
		env  Env
		in   map[string]any
		want map[string]any
	}{
		{
			name: "production picks default",
			env:  production,
			in:   map[string]any{"ingress": map[string]any{"domain": domainMap()}},
			want: map[string]any{"ingress": map[string]any{"domain": "hello-world.orcra.dev"}},
		},
		{
			name: "staging picks environment",
			env:  staging,
			in:   map[string]any{"ingress": map[string]any{"domain": domainMap()}},
			want: map[string]any{"ingress": map[string]any{"domain": "hello-world.staging.orcra.dev"}},
		},
		{
			name: "dev picks environment",
			env:  dev,
			in:   map[string]any{"ingress": map[string]any{"domain": domainMap()}},
			want: map[string]any{"ingress": map[string]any{"domain": "hello-world.dev.orcra.dev"}},
		},
		{
			name: "templates in default are filled in",
			env:  production,
			in:   map[string]any{"domain": map[string]any{"default": "${env.name}.example", "environment": "x"}},
			want: map[string]any{"domain": "production.example"},
		},
		{
			name: "domain at the root of the value",
			env:  dev,
			in:   map[string]any{"domain": domainMap()},
			want: map[string]any{"domain": "hello-world.dev.orcra.dev"},
		},
		{
			name: "domain inside a list item",
			env:  dev,
			in:   map[string]any{"hosts": []any{map[string]any{"domain": domainMap()}}},
			want: map[string]any{"hosts": []any{map[string]any{"domain": "hello-world.dev.orcra.dev"}}},
		},
		{
			name: "non-string picks",
			env:  production,
			in:   map[string]any{"domain": map[string]any{"default": map[string]any{"host": "$ENV.x"}, "environment": int64(1)}},
			want: map[string]any{"domain": map[string]any{"host": "production.x"}},
		},
		{
			name: "a third key leaves the map",
			env:  staging,
			in: map[string]any{"domain": map[string]any{
				"default": "hello-world.orcra.dev", "environment": "hello-world.$ENV.orcra.dev", "other": "$ENV",
			}},
			want: map[string]any{"domain": map[string]any{
				"default": "hello-world.orcra.dev", "environment": "hello-world.staging.orcra.dev", "other": "staging",
			}},
		},
		{
			name: "only default leaves the map",
			env:  production,
			in:   map[string]any{"domain": map[string]any{"default": "a", "other": "b"}},
			want: map[string]any{"domain": map[string]any{"default": "a", "other": "b"}},
		},
		{
			name: "only environment leaves the map",
			env:  dev,
			in:   map[string]any{"domain": map[string]any{"environment": "$ENV.x"}},
			want: map[string]any{"domain": map[string]any{"environment": "dev.x"}},
		},
		{
			name: "default and environment under another key are left alone",
			env:  staging,
			in:   map[string]any{"host": domainMap()},
			want: map[string]any{"host": map[string]any{
				"default": "hello-world.orcra.dev", "environment": "hello-world.staging.orcra.dev",
			}},
		},
		{
			name: "a Domain key is not domain",
			env:  production,
			in:   map[string]any{"Domain": domainMap()},
			want: map[string]any{"Domain": map[string]any{
				"default": "hello-world.orcra.dev", "environment": "hello-world.production.orcra.dev",
			}},
		},
		{
			name: "a domain string is expanded as any string",
			env:  staging,
			in:   map[string]any{"domain": "$ENV.orcra.dev"},
			want: map[string]any{"domain": "staging.orcra.dev"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, errs := expand(tt.in, tt.env, declaredSecrets)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("expand in %s =\n%#v\nwant\n%#v", tt.env.Name, got, tt.want)
			}
		})
	}
}

// TestExpandDomainErrorPath: an error in the picked value of a domain map is
// reported at that value's path in the document as written.
func TestExpandDomainErrorPath(t *testing.T) {
	for _, tt := range []struct {
		env  Env
		want []string
	}{
		{production, []string{"spec", "domain", "default"}},
		{dev, []string{"spec", "domain", "environment"}},
	} {
		m := map[string]any{"spec": map[string]any{"domain": map[string]any{
			"default": "${secrets.NOPE}", "environment": "${env.nope}",
		}}}
		_, _, errs := expand(m, tt.env, declaredSecrets)
		if len(errs) != 1 {
			t.Fatalf("%s: %d errors %v, want 1", tt.env.Name, len(errs), errs)
		}
		if !reflect.DeepEqual(errs[0].path, tt.want) {
			t.Errorf("%s: error path = %q, want %q", tt.env.Name, errs[0].path, tt.want)
		}
	}
}

func TestEscapedSecretReference(t *testing.T) {
	declared := func(n string) bool { return n == "DB" }
	if got, _, errs := expand("$${secrets.DB}", Env{Name: "dev"}, declared); len(errs) != 0 || got != "${secrets.DB}" {
		t.Errorf("$${secrets.DB} = %v, %v; want a literal ${secrets.DB}", got, errs)
	}
	if _, _, errs := expand("$${secrets.NOPE}", Env{Name: "dev"}, declared); len(errs) != 1 {
		t.Errorf("$${secrets.NOPE}: want an error, got %v", errs)
	}
}
