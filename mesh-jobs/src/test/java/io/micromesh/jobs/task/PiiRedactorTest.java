package io.micromesh.jobs.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micromesh.jobs.task.PiiRedactor.Kind;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PiiRedactorTest {

    private final PiiRedactor all = new PiiRedactor(EnumSet.allOf(Kind.class), "US");

    private String redact(String text) {
        return all.redact(text).text();
    }

    @Test
    void luhnAndMod97AgreeWithPublishedExamples() {
        assertThat(PiiRedactor.luhn("79927398713")).isTrue();   // the textbook Luhn example
        assertThat(PiiRedactor.luhn("79927398710")).isFalse();
        assertThat(PiiRedactor.luhn("4111111111111111")).isTrue();
        assertThat(PiiRedactor.luhn("4111111111111112")).isFalse();
        assertThat(PiiRedactor.ibanValid("GB82WEST12345698765432")).isTrue();   // ISO 13616's example
        assertThat(PiiRedactor.ibanValid("DE89370400440532013000")).isTrue();
        assertThat(PiiRedactor.ibanValid("GB82WEST12345698765433")).isFalse();
        assertThat(PiiRedactor.ibanValid("GB83WEST12345698765432")).isFalse();
    }

    @Test
    void eachKindIsReplacedByItsPlaceholder() {
        assertThat(redact("card 4111 1111 1111 1111, expires 12/27")).isEqualTo("card [CARD], expires 12/27");
        assertThat(redact("card 4111-1111-1111-1111.")).isEqualTo("card [CARD].");
        assertThat(redact("pay to GB82 WEST 1234 5698 7654 32 today")).isEqualTo("pay to [IBAN] today");
        assertThat(redact("iban de89370400440532013000 please")).isEqualTo("iban [IBAN] please");
        assertThat(redact("write to jane.doe+calls@example.co.uk now")).isEqualTo("write to [EMAIL] now");
        assertThat(redact("call me on (650) 253-0000 tomorrow")).isEqualTo("call me on [PHONE] tomorrow");
        assertThat(redact("or +44 20 7031 3000")).isEqualTo("or [PHONE]");
    }

    @Test
    void spelledOutDigitsAreTypedByWhatTheyAre() {
        assertThat(redact("it is four one one one, one one one one, one one one one, one one one one okay"))
                .isEqualTo("it is [CARD] okay");
        assertThat(redact("my pin is four five seven one")).isEqualTo("my pin is [NUMBER]");
        assertThat(redact("call six five oh, two five three, double oh double oh")).isEqualTo("call [PHONE]");
        assertThat(redact("one or two things, three times")).isEqualTo("one or two things, three times");
    }

    @Test
    void numbersThatFailTheirChecksumAreLeftAlone() {
        assertThat(redact("order 4111 1111 1111 1112 shipped")).isEqualTo("order 4111 1111 1111 1112 shipped");
        assertThat(redact("ref GB82 WEST 1234 5698 7654 33")).isEqualTo("ref GB82 WEST 1234 5698 7654 33");
        assertThat(redact("on 2026-11-26 at 10:30, order 58213")).isEqualTo("on 2026-11-26 at 10:30, order 58213");
    }

    @Test
    void onlyTheKindsAskedForAreRedacted() {
        PiiRedactor cardsOnly = new PiiRedactor(EnumSet.of(Kind.CARD), "US");
        assertThat(cardsOnly.redact("4111111111111111 jane@example.com").text()).isEqualTo("[CARD] jane@example.com");
        assertThatThrownBy(() -> new PiiRedactor(EnumSet.allOf(Kind.class), "XX")).hasMessageContaining("region 'XX'");
    }

    /** 1,000 valid card numbers and IBANs each, and as many with a wrong check digit, planted in sentences. */
    @Test
    void aGeneratedCorpusLosesNoValidNumberAndRedactsNoInvalidOne() {
        Random random = new Random(42);
        String[] countries = {"DE", "GB", "FR", "NL", "ES", "IT", "BE", "CH", "AT", "PL"};
        int[] bbanLengths = {18, 18, 23, 14, 20, 23, 12, 17, 16, 24};
        List<String> valid = new ArrayList<>();
        List<String> invalid = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            String card = card(random, 13 + random.nextInt(7));
            valid.add(group(card, random));
            invalid.add(group(card.substring(0, card.length() - 1) + (char) ('0' + (card.charAt(card.length() - 1) - '0' + 1) % 10),
                    random));
            int c = random.nextInt(countries.length);
            String iban = iban(countries[c], bbanLengths[c], random);
            valid.add(random.nextBoolean() ? iban : iban.replaceAll("(.{4})", "$1 ").strip());
            String wrong = iban.substring(0, 2) + String.format("%02d", (Integer.parseInt(iban.substring(2, 4)) + 1) % 100)
                    + iban.substring(4);
            invalid.add(wrong);
        }
        int missed = 0;
        int wronglyRedacted = 0;
        for (int i = 0; i < valid.size(); i++) {
            String text = "Customer: the number is " + valid.get(i) + ", and the other one was " + invalid.get(i) + ".";
            String out = redact(text);
            if (out.contains(valid.get(i))) {
                missed++;
            }
            if (!out.contains(invalid.get(i))) {
                wronglyRedacted++;
            }
        }
        assertThat(missed).as("valid numbers left in the text").isZero();
        assertThat(wronglyRedacted).as("invalid numbers redacted").isZero();
    }

    private static String card(Random random, int length) {
        StringBuilder digits = new StringBuilder().append("4536".charAt(random.nextInt(4)));
        while (digits.length() < length - 1) {
            digits.append(random.nextInt(10));
        }
        for (int check = 0; check < 10; check++) {
            if (PiiRedactor.luhn(digits.toString() + check)) {
                return digits.toString() + check;
            }
        }
        throw new AssertionError();
    }

    private static String group(String digits, Random random) {
        return switch (random.nextInt(3)) {
            case 0 -> digits;
            case 1 -> digits.replaceAll("(\\d{4})(?=\\d)", "$1 ");
            default -> digits.replaceAll("(\\d{4})(?=\\d)", "$1-");
        };
    }

    private static String iban(String country, int bbanLength, Random random) {
        StringBuilder bban = new StringBuilder();
        for (int i = 0; i < bbanLength; i++) {
            bban.append(random.nextInt(10));
        }
        StringBuilder numeric = new StringBuilder(bban);
        for (char ch : (country + "00").toCharArray()) {
            numeric.append(Character.isDigit(ch) ? String.valueOf(ch) : String.valueOf(ch - 'A' + 10));
        }
        int check = 98 - new BigInteger(numeric.toString()).mod(BigInteger.valueOf(97)).intValue();
        return country + String.format("%02d", check) + bban;
    }
}
