"""Kili's per-annotation records of a label (`Label.annotations`), which labelgate does not keep.

labelgate stores a label as its json response only, so `Label.annotations` is always empty. The types
exist because the Kili SDK 2.159–2.164 asks for them whenever it lists the labels' json responses of a
VIDEO, LLM_RLHF or LLM_INSTR_FOLLOWING project (`assets`, default fields): its query spreads a fragment
on each annotation type, which must exist for the query to validate. Given an empty list and a
non-empty `jsonResponse`, that SDK keeps the `jsonResponse` as it is (it only rebuilds a json response
from annotations when there are some).
"""

from __future__ import annotations

import strawberry

# The concrete annotation types: no field names them (Label.annotations answers the interface), so the
# schema must be given them to list them.
ANNOTATION_TYPES: list[type] = []


def _annotation_type(cls: type) -> type:
    ANNOTATION_TYPES.append(cls)
    return cls


@strawberry.type(description="A point of a polygon, in relative coordinates.")
class Vertex:
    x: float = strawberry.field(description="Horizontal position, 0 to 1.")
    y: float = strawberry.field(description="Vertical position, 0 to 1.")


@strawberry.type(description="The categories of a classification.")
class ClassificationAnnotationValue:
    categories: list[str] = strawberry.field(description="Chosen category names.")


@strawberry.type(description="The text of a transcription.")
class TranscriptionAnnotationValue:
    text: str = strawberry.field(description="The text.")


@strawberry.type(description="One rank of a ranking.")
class RankingOrderValue:
    rank: int = strawberry.field(description="The rank, 1 first.")
    elements: list[str] = strawberry.field(description="Elements sharing that rank.")


@strawberry.type(description="The ranks of a ranking.")
class RankingAnnotationValue:
    orders: list[RankingOrderValue] = strawberry.field(description="Ranks, in order.")


@strawberry.type(description="The choice between two completions.")
class ComparisonChoice:
    code: str = strawberry.field(description="How strongly the first is preferred.")
    first_id: strawberry.ID = strawberry.field(description="First completion.")
    second_id: strawberry.ID = strawberry.field(description="Second completion.")


@strawberry.type(description="The choice of a comparison.")
class ComparisonAnnotationValue:
    choice: ComparisonChoice = strawberry.field(description="The choice.")


@strawberry.type(description="The polygons of an object.")
class ObjectDetectionAnnotationValue:
    vertices: list[list[list[Vertex]]] = strawberry.field(description="Polygons, each a list of rings.")


@strawberry.type(description="A range of frames where an object or answer is present.")
class FrameInterval:
    start: int = strawberry.field(description="First frame.")
    end: int = strawberry.field(description="Last frame.")


@strawberry.interface(description="Kili's annotation record: one job's answer in a label. labelgate keeps none.")
class Annotation:
    id: strawberry.ID = strawberry.field(description="Annotation id.")
    label_id: strawberry.ID = strawberry.field(description="The label it belongs to.")
    job: str = strawberry.field(description="The job of the ontology it answers.")
    path: list[list[str]] = strawberry.field(description="Path of parent jobs and categories.")


@_annotation_type
@strawberry.type(description="A classification answer.")
class ClassificationAnnotation(Annotation):
    annotation_value: ClassificationAnnotationValue = strawberry.field(description="The categories.")
    chat_item_id: strawberry.ID | None = strawberry.field(description="The LLM chat item it is about.")


@_annotation_type
@strawberry.type(description="A ranking answer.")
class RankingAnnotation(Annotation):
    annotation_value: RankingAnnotationValue = strawberry.field(description="The ranks.")


@_annotation_type
@strawberry.type(description="A comparison answer.")
class ComparisonAnnotation(Annotation):
    annotation_value: ComparisonAnnotationValue = strawberry.field(description="The choice.")
    chat_item_id: strawberry.ID | None = strawberry.field(description="The LLM chat item it is about.")


@_annotation_type
@strawberry.type(description="A transcription answer.")
class TranscriptionAnnotation(Annotation):
    annotation_value: TranscriptionAnnotationValue = strawberry.field(description="The text.")
    chat_item_id: strawberry.ID | None = strawberry.field(description="The LLM chat item it is about.")


@strawberry.interface(description="An answer at a key frame of a video annotation.")
class VideoKeyAnnotation:
    id: strawberry.ID = strawberry.field(description="Key annotation id.")
    frame: int = strawberry.field(description="The key frame.")


@strawberry.type(description="The polygons of an object at a key frame.")
class VideoObjectDetectionKeyAnnotation(VideoKeyAnnotation):
    annotation_value: ObjectDetectionAnnotationValue = strawberry.field(description="The polygons.")


@strawberry.type(description="The categories at a key frame.")
class VideoClassificationKeyAnnotation(VideoKeyAnnotation):
    annotation_value: ClassificationAnnotationValue = strawberry.field(description="The categories.")


@strawberry.type(description="The text at a key frame.")
class VideoTranscriptionKeyAnnotation(VideoKeyAnnotation):
    annotation_value: TranscriptionAnnotationValue = strawberry.field(description="The text.")


@strawberry.interface(description="An annotation of a video: its frame ranges and key frames.")
class VideoAnnotation(Annotation):
    frames: list[FrameInterval] = strawberry.field(description="Frame ranges where it is present.")
    key_annotations: list[VideoKeyAnnotation] = strawberry.field(description="Its key frames.")


@_annotation_type
@strawberry.type(description="An object tracked through a video.")
class VideoObjectDetectionAnnotation(VideoAnnotation):
    key_annotations: list[VideoObjectDetectionKeyAnnotation] = strawberry.field(description="Its key frames.")
    name: str | None = strawberry.field(description="The object's name.")
    mid: str = strawberry.field(description="The object's id across frames.")
    category: str = strawberry.field(description="The object's category.")


@_annotation_type
@strawberry.type(description="A classification through a video.")
class VideoClassificationAnnotation(VideoAnnotation):
    key_annotations: list[VideoClassificationKeyAnnotation] = strawberry.field(description="Its key frames.")


@_annotation_type
@strawberry.type(description="A transcription through a video.")
class VideoTranscriptionAnnotation(VideoAnnotation):
    key_annotations: list[VideoTranscriptionKeyAnnotation] = strawberry.field(description="Its key frames.")
