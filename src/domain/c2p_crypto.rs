//! The Connect2Pay tokens and the encrypted `data` of the redirect back to the shop
//! (`../shared/spec/connect2pay.md` §3.7 and §6).
//!
//! A merchantToken is the URL-safe base64 (no padding) of 16 random bytes, and those
//! 16 bytes are the raw AES-128 key of the redirect payload: the status JSON,
//! PKCS#7-padded, encrypted in ECB mode (no IV, no key derivation), then URL-safe
//! base64. Every client decoder accepts the base64 with or without `=` padding; we
//! write it padded, which the strict decoders (.NET `Convert.FromBase64String`,
//! Python's `urlsafe_b64decode`) need, and read both.
//!
//! ECB leaks equal blocks: that is the protocol, not a choice. The payload is only
//! what the shop may read anyway through a status call with the same token.

use aes::Aes128;
use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyInit};
use base64::Engine;
use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::engine::{DecodePaddingMode, general_purpose};

/// Bytes of a merchantToken, and of the AES-128 key it is.
pub const TOKEN_BYTES: usize = 16;

/// URL-safe base64 that reads input with or without `=` padding.
const URL_SAFE_ANY_PAD: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The merchantToken of 16 given bytes: 22 characters of URL-safe base64, no padding.
pub fn merchant_token_from(bytes: &[u8; TOKEN_BYTES]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The AES key of a merchantToken: its URL-safe base64 decoding (padded or not),
/// which must be exactly 16 bytes.
fn key_of(merchant_token: &str) -> Option<[u8; TOKEN_BYTES]> {
    let bytes = URL_SAFE_ANY_PAD.decode(merchant_token.trim()).ok()?;
    bytes.try_into().ok()
}

/// The redirect's `data` field: `json` encrypted with AES-128-ECB and PKCS#7 under
/// the key the merchantToken encodes, as padded URL-safe base64. `None` when the
/// token is not the base64 of exactly 16 bytes.
pub fn encrypt_redirect_data(merchant_token: &str, json: &str) -> Option<String> {
    let key = key_of(merchant_token)?;
    let cipher = ecb::Encryptor::<Aes128>::new(&key.into());
    let bytes = cipher.encrypt_padded_vec_mut::<Pkcs7>(json.as_bytes());
    Some(general_purpose::URL_SAFE.encode(bytes))
}

/// The JSON a redirect's `data` carries, as a shop decrypts it. `None` for a bad
/// token, bad base64, a length that is not whole blocks, bad padding (a wrong key,
/// almost always) or text that is not UTF-8.
pub fn decrypt_redirect_data(merchant_token: &str, data: &str) -> Option<String> {
    let key = key_of(merchant_token)?;
    let bytes = URL_SAFE_ANY_PAD.decode(data.trim()).ok()?;
    let cipher = ecb::Decryptor::<Aes128>::new(&key.into());
    let plain = cipher.decrypt_padded_vec_mut::<Pkcs7>(&bytes).ok()?;
    String::from_utf8(plain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The PHP client's test vector (PayXpert/connect2pay-php-client,
    /// tests/Connect2PayClientTest.php, `testHandleRedirectStatus`): a payload of the
    /// real server, API 002.70.
    const PHP_TOKEN: &str = "sxbJyd57aaawXB7s6sISew";
    const PHP_DATA: &str = "Nmw3RZdsfQerTotBGaoiHRHt6ZxfJXeJfskO6nEfZnlYFVtYVHUJAx6OK_ToSGH10L-5-XdqtnzvwS5-bih0yPm0WvBAcmyogMbEMgx2MzhdKW5AWfnOAcSlaNsueT85GyzgCOi1DwIHo0XNjQIYM2p3ajCtoqnWO2OrM4t2bIs8akyQay4m9F6rkOj_lH6Wlo8N-8Qv8mJF29o677mr83HrDzwz9-k3nvvLDY0m9c440AR2JhIxZGnQ6DKi7BTSPubpjUBFrFXUXREcmnergW4urjKcjBKje2UR9qW0olvVEH_TzUJ76CgQLoDXSX1grrvMEFAaGlKpP1WDI5wtkC1s58B4LMNdz6O1-gZdjRFf6F6SIeuidoGfPQ5b7op_q3ZvKERfYlNv6eOVgvm7eV9qcT35cSkmoez1v7WO00yNGDZTwiTu_WxcQ2misv46oGLYMd914IrGxcrHAwfKdpCg54wGOoZGiHiLelB1okUTrsbtYXXnhV_3jaUakafPKCnLkbjwdihrs5WSRVAopt69z91_DlNJXYIelTpGIzANzQEqx-C6trkEoyjqreoUQUWRwjge9OzONaoSYbjiMtbwpbtidpTbZK6IUZCUawmnDE_WVXZtH0BX4uuGA5Azp5W3riOFvclh2ijPhHOuxiXi6Y2LWgLqyFkhVI9GA8lZxSH619KPht3dGJTpldAjuxkSyHn0GQA1AzkZ1VFw4lEJ6-zl0GFIJEG8aknwSGAZ6L64G02-C5D7T0D-OVj-LhnDZY7IQavcRUOc3PiScrCmq5KPpbSTErjbYgCo8ffW-GacMcMq_vnEklUz-A8td-tgLWPhADn0bcpfimpyGRVZUTCiy2KXO2D6RxtuMJxacEqNcUTKE48Wb3wNmSAGgIW8PMOmQbF4kmi0z9DVKFkEJK1CMKpliMn17sfxz-bBmvS0dcvf3PR0al5X6JG3ipmpjYtKNDLqZaaQl1DVmYJyxoe7g39dn7rDx6b4R8rv-cCorN6e6YdcN-7j74IcPL2FBryki3MZb7AOaua-XbzjP2PYq6YiqOsQu78YaKqPiREbel75hTgM6Lx24jZDvU_7P_BRty6lrqCW6sIcRvcCwsnl2wx2OT3q_jr6lRGl2pL8L8c3AS92ntNPcGxl3MHugqv-FXBNkG6onTyFkplAnRMhLvTeCmZHaCaWodoYfheuG6c0RbmIw6SVhZcJlr-KwyI270BWKaGhWhN26Xz4SMn7XwZziUfxQeVkYDnHdOvc7ujQLZdhrqIoOA88JCWekGFsKAIOc-qbJ5vGQr2X5D0cf7rzEVyNf1XhMwCYpiNHd1qApcGD3UlqBCtAOArKr_cyz0nTHDmVW9lfLfj2ulS_UiheXQEIS_W2Ej0QpDgRTORFyd-jOMoL8Yhr35pFMj-rwNpzb44Ixmz8tRv0JQr1mcKwgd-NmwWbRRSxqyq3iySnWuIQ00q8QruyRPHbLeqQU9aVFCHkN3t-_C_KLGpw_3EXI2PliXn4_0Rl3iOAdy6DV8ry1Vw7XNX1LUC0t64fuX6YX6AQfMRFeiYNuyMZwHRu_lj8Z65H9aumHCagPubUM6Eeoljuef3C2fB7LNOuL0RwEJEFuFdI7YUKgxsJFWuo9dhlx1HMqNO7oouiVNeXIDtrU__nRw36oarJY2pQk-bVt5f1uS-oZRTTaKXEYpYGOMQhQwQiKYQ-YDYjxc_kgOrBQHHnehEW-N8cTcOqiaOf964bGs_blPD0axIzALgIMdpoYbWbu-nUxt2qyKO9nyHMS2uiKupFHi04a_wdKQCxyFTzPvL8meZLHImCd99dHShqQuCWREWB14oqelIg89xclN_jZaF5kduwefphicDYBofaFF8Htyih2WtLwKLbSkDJqYtR66Fjx0PyYPDv_lppp4LRr3r4M0jq-Gp1q299V8RSfKai0SXSBHvvx-TdgVZu3uy7PfPO5UNrbLzoaldX5QZnx4zlehwOAfSYj92GatlKfXpTgPjvLUgXbTUOQbA2Y1caQdiU_cZsGgcmFIhQlsMYmwnKYsKaq4V1RXwPrfgTlITprAeHBzWiwK7zF4ae-lFWow7r3PqY-IJXFdDuH-7qmffY8K39DGmYbqDuP81HijHxVdazvlu0FDt5-k_w9rlSzVf3jmWFQ4lD7WjGLtliHotDTVMtqoq0yushrktKM7GSRwf4zOfkN0NrvfISkW6xBCukAtngsNg3W1QVgDJoVQEK";

    /// The Node client's test vector (PayXpert/connect2pay-nodejs-client,
    /// test/connect2pay.test.js, `handleRedirectStatus`; the same one is in the C#
    /// client's demo).
    const NODE_TOKEN: &str = "W2n1yR8UXNJBrJxbsqOy3g";
    const NODE_DATA: &str = "ZRHd0TeyKnQ6GwPMRk8x1eMv6iLCrvHkQ-w-QCEd5a7LIiebsWAzKvSDOQR1D3STZMV7MZ1raUJuzA9hesogP7HEAiSMgcx2etr9zaigZYjurnVwQlousUXvKYvLIuWHCHVlkU9ItAejW9DAVP2XiDDUdVXcEoFrTkS6M6a0XQH3w5_yejMyjwV83Rg2eRkKoG0y4B26n7bcbDzSKAn4xo5RKsH7X0t5wQSEwplzCPeHz6QOdGm4py0FZNXiDOf2DXwWmx7CcxFLig2kSj13X9eOiINA9R-Gqdqf4Ue1JJky-knoKqT6IstuAZGj9KyVnV9p2LN_NamaFF_QdiqPNspwKSYo2y06tyYu1fbn6C1RQHtImnedPqEr5DKtCkJiCLQ3DXmnhmPSGqiyvaDngzBYubHa8BNsBh8CFFvaVoCvE076yRL3C4Q8ttw119SEsnQoWrZImV7DQrdpY8BJivIKjXR3JYGeuRgIByRdJYuBM9CBRHOcSM6KS1NoC9uJ2QH_M0oOP2Nh-8E_tX9PyuTqqFI51Y9ToPLw2S80kymzgpuD13xtHubR902Aewz8JAsmgaQ_DZb5Gu1C1bMxuZkc0NLhzJBSIWPy1c3QdR73ppRxuTJIa1SIyWClFPhlNxJL3p8Wb9LXnGhMALC1tA3D_rzfQZfok5tr1AkmR-rQtxmYcYseeepxKayVe22VxF2BPSMmo0nh0sLOb3l30d1xwJ3rD8Mvsnty9V8sw0AxtJT3av6qfRKX-ITiYHjj";

    fn field(json: &str, name: &str) -> serde_json::Value {
        let v: serde_json::Value = serde_json::from_str(json).expect("the payload is JSON");
        v[name].clone()
    }

    #[test]
    fn the_php_client_test_vector_decrypts_to_the_status_json() {
        let json = decrypt_redirect_data(PHP_TOKEN, PHP_DATA).expect("it decrypts");
        assert_eq!(field(&json, "apiVersion"), "002.70");
        assert_eq!(field(&json, "merchantToken"), PHP_TOKEN);
        assert_eq!(field(&json, "errorCode"), "000");
        assert_eq!(field(&json, "operation"), "authorize");
        assert_eq!(field(&json, "amount"), 100);
    }

    #[test]
    fn the_node_client_test_vector_decrypts_to_the_status_json() {
        let json = decrypt_redirect_data(NODE_TOKEN, NODE_DATA).expect("it decrypts");
        assert_eq!(field(&json, "merchantToken"), NODE_TOKEN);
        assert_eq!(field(&json, "errorCode"), "000");
        assert_eq!(field(&json, "status"), "Not processed");
    }

    #[test]
    fn our_encryption_of_the_decrypted_vector_gives_the_clients_bytes_back() {
        // ECB with PKCS#7 is deterministic: re-encrypting the plaintext must give the
        // very ciphertext the real server sent (it was a multiple of 4 characters, so
        // our padded base64 has no `=` to add).
        for (token, data) in [(PHP_TOKEN, PHP_DATA), (NODE_TOKEN, NODE_DATA)] {
            let json = decrypt_redirect_data(token, data).unwrap();
            assert_eq!(encrypt_redirect_data(token, &json).as_deref(), Some(data));
        }
    }

    #[test]
    fn encrypted_data_decrypts_back_with_or_without_base64_padding() {
        let token = merchant_token_from(&[0x5a; 16]);
        for json in ["", "{}", r#"{"a":"é"}"#, &"x".repeat(16), &"y".repeat(1000)] {
            let data = encrypt_redirect_data(&token, json).unwrap();
            assert_eq!(decrypt_redirect_data(&token, &data).as_deref(), Some(json));
            let bare = data.trim_end_matches('=');
            assert_eq!(decrypt_redirect_data(&token, bare).as_deref(), Some(json));
            assert!(
                data.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_=".contains(&b)),
                "{data}"
            );
        }
    }

    #[test]
    fn the_output_is_padded_base64_of_whole_blocks() {
        // 17 bytes pad to 32: 43 base64 characters and one `=`.
        let data = encrypt_redirect_data(NODE_TOKEN, &"z".repeat(17)).unwrap();
        assert_eq!(data.len(), 44);
        assert!(data.ends_with('='));
    }

    #[test]
    fn a_merchant_token_is_22_url_safe_characters_of_16_bytes() {
        let a = merchant_token_from(&[0x3c; 16]);
        assert_eq!(a.len(), 22);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_eq!(key_of(&a).map(|k| k.len()), Some(16));
        assert_eq!(merchant_token_from(&[0xfb; 16]), "-_v7-_v7-_v7-_v7-_v7-w");
    }

    #[test]
    fn a_token_that_is_not_16_bytes_encrypts_nothing() {
        for bad in [
            "",
            "abc",
            "sxbJyd57aaawXB7s6sISe",
            "sxbJyd57aaawXB7s6sISewAA",
            "sxb+yd57aaawXB7s6sISew",
            "not base64 at all!!!!!",
        ] {
            assert_eq!(encrypt_redirect_data(bad, "{}"), None, "{bad}");
            assert_eq!(decrypt_redirect_data(bad, PHP_DATA), None, "{bad}");
        }
    }

    #[test]
    fn the_wrong_key_or_damaged_data_decrypts_to_none() {
        assert_eq!(decrypt_redirect_data(NODE_TOKEN, PHP_DATA), None);
        assert_eq!(
            decrypt_redirect_data(PHP_TOKEN, &PHP_DATA[..PHP_DATA.len() - 4]),
            None
        );
        assert_eq!(decrypt_redirect_data(PHP_TOKEN, "!!!!"), None);
        assert_eq!(decrypt_redirect_data(PHP_TOKEN, ""), None);
    }
}
