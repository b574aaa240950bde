package plan

import (
	"reflect"
	"testing"
)

func TestImageChanges(t *testing.T) {
	const a, b = "sha256:aaaa", "sha256:bbbb"
	field := func(path string, action Action, old, new any) Field {
		return Field{Path: path, Action: action, Old: old, New: new}
	}
	for _, tc := range []struct {
		name   string
		fields []Field
		want   []ImageChange
	}{
		{"digest moved under one tag", []Field{field("spec.containers[name=app].image", Change, "r/app:1@"+a, "r/app:1@"+b)},
			[]ImageChange{{Image: "r/app:1", Old: a, New: b}}},
		{"the tag changed too: the field says it", []Field{field("spec.containers[name=app].image", Change, "r/app:1@"+a, "r/app:2@"+b)}, nil},
		{"not pinned", []Field{field("spec.containers[name=app].image", Change, "r/app:1", "r/app:2")}, nil},
		{"added", []Field{field("spec.containers[name=side].image", Add, nil, "r/side:1@"+a)}, nil},
		{"not an image field", []Field{field("metadata.annotations.image-digest", Change, "x@"+a, "x@"+b)}, nil},
		{"once for two manifests", []Field{
			field("spec.containers[name=app].image", Change, "r/app:1@"+a, "r/app:1@"+b),
			field("spec.jobTemplate.spec.template.spec.containers[name=app].image", Change, "r/app:1@"+a, "r/app:1@"+b),
			field("spec.containers[name=db].image", Change, "r/db:1@"+b, "r/db:1@"+a),
		}, []ImageChange{{Image: "r/app:1", Old: a, New: b}, {Image: "r/db:1", Old: b, New: a}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := imageChanges([]ManifestChange{{Action: Change, Fields: tc.fields}})
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("imageChanges = %+v, want %+v", got, tc.want)
			}
		})
	}
}
