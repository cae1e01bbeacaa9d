// Parameter sets and slice headers (ITU-T H.264 7.3.2.1, 7.3.2.2, 7.3.3, Annex E VUI).
// Constrained Baseline: profile_idc 66 with constraint_set0 and constraint_set1, one reference
// picture, pic_order_cnt_type 2 (output order = decoding order), CAVLC.
import { putBits, putUe, putSe, putTrailingBits } from './bitstream';
import { W, H, MBW, MBH, CW, CH } from './state';

export const LOG2_MAX_FRAME_NUM: i32 = 8;

// Set by configure() in index.ts.
export let levelIdc: i32 = 40;
export let timeScale: u32 = 60; // 2 x fps numerator (a tick is a field period)
export let unitsInTick: u32 = 1;
export let colourPrimaries: i32 = 1;
export let transferCharacteristics: i32 = 13;
export let matrixCoefficients: i32 = 6;
export let fullRange: i32 = 0;

export function setHeaderParams(level: i32, fpsNum: u32, fpsDen: u32, primaries: i32, transfer: i32, matrix: i32, full: i32): void {
  levelIdc = level;
  timeScale = fpsNum * 2;
  unitsInTick = fpsDen;
  colourPrimaries = primaries;
  transferCharacteristics = transfer;
  matrixCoefficients = matrix;
  fullRange = full;
}

/** seq_parameter_set_rbsp() */
export function writeSps(): void {
  putBits(8, 66); // profile_idc: Baseline
  putBits(8, 0xc0); // constraint_set0_flag, constraint_set1_flag: Constrained Baseline
  putBits(8, u32(levelIdc));
  putUe(0); // seq_parameter_set_id
  putUe(LOG2_MAX_FRAME_NUM - 4);
  putUe(2); // pic_order_cnt_type
  putUe(1); // max_num_ref_frames
  putBits(1, 0); // gaps_in_frame_num_value_allowed_flag
  putUe(u32(MBW - 1));
  putUe(u32(MBH - 1));
  putBits(1, 1); // frame_mbs_only_flag
  putBits(1, 1); // direct_8x8_inference_flag
  const cropRight = (CW - W) >> 1; // in chroma samples (CropUnitX = 2)
  const cropBottom = (CH - H) >> 1;
  if (cropRight != 0 || cropBottom != 0) {
    putBits(1, 1);
    putUe(0);
    putUe(u32(cropRight));
    putUe(0);
    putUe(u32(cropBottom));
  } else putBits(1, 0);
  putBits(1, 1); // vui_parameters_present_flag
  writeVui();
  putTrailingBits();
}

function writeVui(): void {
  putBits(1, 1); // aspect_ratio_info_present_flag
  putBits(8, 1); // aspect_ratio_idc: 1:1
  putBits(1, 0); // overscan_info_present_flag
  putBits(1, 1); // video_signal_type_present_flag
  putBits(3, 5); // video_format: unspecified
  putBits(1, u32(fullRange));
  putBits(1, 1); // colour_description_present_flag
  putBits(8, u32(colourPrimaries));
  putBits(8, u32(transferCharacteristics));
  putBits(8, u32(matrixCoefficients));
  putBits(1, 0); // chroma_loc_info_present_flag
  putBits(1, 1); // timing_info_present_flag
  putBits(32, unitsInTick);
  putBits(32, timeScale);
  putBits(1, 1); // fixed_frame_rate_flag
  putBits(1, 0); // nal_hrd_parameters_present_flag
  putBits(1, 0); // vcl_hrd_parameters_present_flag
  putBits(1, 0); // pic_struct_present_flag
  putBits(1, 1); // bitstream_restriction_flag
  putBits(1, 1); // motion_vectors_over_pic_boundaries_flag
  putUe(0); // max_bytes_per_pic_denom: no limit
  putUe(0); // max_bits_per_mb_denom: no limit
  putUe(16); // log2_max_mv_length_horizontal
  putUe(16); // log2_max_mv_length_vertical
  putUe(0); // max_num_reorder_frames: no reordering
  putUe(1); // max_dec_frame_buffering
}

/** pic_parameter_set_rbsp() */
export function writePps(): void {
  putUe(0); // pic_parameter_set_id
  putUe(0); // seq_parameter_set_id
  putBits(1, 0); // entropy_coding_mode_flag: CAVLC
  putBits(1, 0); // bottom_field_pic_order_in_frame_present_flag
  putUe(0); // num_slice_groups_minus1
  putUe(0); // num_ref_idx_l0_default_active_minus1
  putUe(0); // num_ref_idx_l1_default_active_minus1
  putBits(1, 0); // weighted_pred_flag
  putBits(2, 0); // weighted_bipred_idc
  putSe(0); // pic_init_qp_minus26
  putSe(0); // pic_init_qs_minus26
  putSe(0); // chroma_qp_index_offset
  putBits(1, 1); // deblocking_filter_control_present_flag
  putBits(1, 0); // constrained_intra_pred_flag
  putBits(1, 0); // redundant_pic_cnt_present_flag
  putTrailingBits();
}

/** slice_header() of the one slice of a picture. */
export function writeSliceHeader(idr: bool, frameNum: i32, idrPicId: i32, qp: i32, deblock: bool): void {
  putUe(0); // first_mb_in_slice
  putUe(idr ? 7 : 5); // slice_type: I or P (all slices of the picture)
  putUe(0); // pic_parameter_set_id
  putBits(LOG2_MAX_FRAME_NUM, u32(frameNum & ((1 << LOG2_MAX_FRAME_NUM) - 1)));
  if (idr) putUe(u32(idrPicId));
  if (!idr) {
    putBits(1, 0); // num_ref_idx_active_override_flag
    putBits(1, 0); // ref_pic_list_modification_flag_l0
  }
  // dec_ref_pic_marking(): every picture is a reference (nal_ref_idc != 0)
  if (idr) {
    putBits(1, 0); // no_output_of_prior_pics_flag
    putBits(1, 0); // long_term_reference_flag
  } else putBits(1, 0); // adaptive_ref_pic_marking_mode_flag
  putSe(qp - 26); // slice_qp_delta
  putUe(deblock ? 0 : 1); // disable_deblocking_filter_idc
  if (deblock) {
    putSe(0); // slice_alpha_c0_offset_div2
    putSe(0); // slice_beta_offset_div2
  }
}
