package dev.openbatch.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.BadRequestException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.moderations.Moderation;
import com.openai.models.moderations.ModerationCreateParams;
import com.openai.models.moderations.ModerationCreateResponse;
import com.openai.models.moderations.ModerationImageUrlInput;
import com.openai.models.moderations.ModerationMultiModalInput;
import com.openai.models.moderations.ModerationTextInput;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official OpenAI SDK reads every answer, validated strictly: the shapes are OpenAI's, not look-alikes. */
class ReferenceEndpointOpenAiSdkTest {

    private static ReferenceEndpoint endpoint;
    private static OpenAIClient openAi;

    @BeforeAll
    static void start() {
        endpoint = ReferenceEndpoint.start(Options.defaults());
        openAi = OpenAIOkHttpClient.builder()
                .baseUrl(endpoint.baseUrl().toString())
                .apiKey("unused")
                .maxRetries(0)
                .build();
    }

    @AfterAll
    static void stop() {
        openAi.close();
        endpoint.close();
    }

    @Test
    void chatCompletion_isReadAndValidatedByTheSdk() {
        ChatCompletion completion = openAi.chat()
                .completions()
                .create(ChatCompletionCreateParams.builder()
                        .model("gpt-test")
                        .addUserMessage("Hello")
                        .build())
                .validate();

        assertThat(completion.choices().getFirst().message().content())
                .hasValueSatisfying(
                        text -> assertThat(text).startsWith("Reference endpoint received model gpt-test: 1 message"));
        assertThat(completion.usage())
                .hasValueSatisfying(usage -> assertThat(usage.promptTokens()).isEqualTo(1));
    }

    @Test
    void moderation_ofTextAndAnImage_isReadAndValidatedByTheSdk_andFlagsOnlyWhatItIsAskedTo() {
        String png =
                "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
        ModerationCreateResponse moderation = openAi.moderations()
                .create(ModerationCreateParams.builder()
                        .model("omni-moderation-latest")
                        .inputOfModerationMultiModalArray(List.of(
                                ModerationMultiModalInput.ofText(ModerationTextInput.builder()
                                        .text("look [flag:violence]")
                                        .build()),
                                ModerationMultiModalInput.ofImageUrl(ModerationImageUrlInput.builder()
                                        .imageUrl(ModerationImageUrlInput.ImageUrl.builder()
                                                .url(png)
                                                .build())
                                        .build())))
                        .build())
                .validate();

        assertThat(moderation.id()).startsWith("modr-");
        assertThat(moderation.model()).isEqualTo("omni-moderation-latest");
        Moderation result = moderation.results().getFirst();
        assertThat(result.flagged()).isTrue();
        assertThat(result.categories().violence()).isTrue();
        assertThat(result.categories().hate()).isFalse();
        assertThat(result.categoryScores().violence()).isEqualTo(1.0);
        assertThat(result.categoryScores().hate()).isBetween(0.0, 0.01);
        assertThat(result.categoryAppliedInputTypes().violence())
                .extracting(Object::toString)
                .containsExactly("text", "image");
        assertThat(result.categoryAppliedInputTypes().hate())
                .extracting(Object::toString)
                .containsExactly("text");
        assertThat(moderation._allProperties().get("received").toString())
                .contains("text_parts=1")
                .contains("media_type=image/png");
    }

    @Test
    void moderation_ofStrings_hasOneResultEach_unflagged() {
        ModerationCreateResponse moderation = openAi.moderations()
                .create(ModerationCreateParams.builder()
                        .inputOfStrings(List.of("one", "two"))
                        .build())
                .validate();

        assertThat(moderation.model()).isEqualTo("omni-moderation-latest");
        assertThat(moderation.results()).hasSize(2).noneMatch(Moderation::flagged);
    }

    @Test
    void completion_isReadAndValidatedByTheSdk() {
        Completion completion = openAi.completions()
                .create(CompletionCreateParams.builder()
                        .model("gpt-test-instruct")
                        .prompt("Say something")
                        .build())
                .validate();

        assertThat(completion.choices().getFirst().text()).contains("1 input item");
    }

    @Test
    void embeddings_areReadAndValidatedByTheSdk() {
        CreateEmbeddingResponse embeddings = openAi.embeddings()
                .create(EmbeddingCreateParams.builder()
                        .model("embed-test")
                        .input("some text")
                        .dimensions(16)
                        .build())
                .validate();

        assertThat(embeddings.data().getFirst().embedding()).hasSize(16);
    }

    @Test
    void response_isReadAndValidatedByTheSdk() {
        Response response = openAi.responses()
                .create(ResponseCreateParams.builder()
                        .model("gpt-test")
                        .input("Hello there")
                        .build())
                .validate();

        String text = response.output()
                .getFirst()
                .asMessage()
                .content()
                .getFirst()
                .asOutputText()
                .text();
        assertThat(text).contains("1 input item, 1 text part (11 characters, 2 words)");
    }

    @Test
    void errorModel_reachesTheSdkAsItsTypedError() {
        assertThatThrownBy(() -> openAi.chat()
                        .completions()
                        .create(ChatCompletionCreateParams.builder()
                                .model("error-400")
                                .addUserMessage("Hello")
                                .build()))
                .isInstanceOf(BadRequestException.class)
                .hasMessageContaining("always fails with status 400");
    }
}
