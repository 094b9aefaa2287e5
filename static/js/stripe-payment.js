// Mounts Stripe's Payment Element on the card step; Stripe sends the shopper back to
// data-return-url, where the server finalizes the order.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("payment-form");
  if (!form || typeof Stripe === "undefined") return;
  const stripe = Stripe(form.dataset.publishableKey, { stripeAccount: form.dataset.account });
  const elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
  elements.create("payment").mount("#payment-element");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    document.getElementById("pay-submit").disabled = true;
    const { error } = await stripe.confirmPayment({
      elements,
      confirmParams: { return_url: form.dataset.returnUrl },
    });
    if (error) {
      const message = document.getElementById("payment-message");
      message.textContent = error.message;
      message.hidden = false;
      document.getElementById("pay-submit").disabled = false;
    }
  });
});
